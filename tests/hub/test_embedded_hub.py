"""The embedded hub as people use it: log in, get a server, run a kernel, stop it all.

Everything goes through a real hub process and its proxy on loopback. Tests run
in file order; the last one stops the hub and checks that nothing outlives it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_dl_hub.spawner import KERNEL_STARTUP_FILE

from .running_hub import RunningHub, hub_environment, launcher_command

USER = "alice"
SERVER_TIMEOUT = 30


def _wait_for_server(hub: RunningHub, name: str) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        server = hub.api("GET", f"users/{name}").json()["servers"].get("")
        if server and server["ready"]:
            return
        time.sleep(0.3)
    raise AssertionError(f"{name}'s server not ready after {SERVER_TIMEOUT}s:\n{hub.log()}")


@pytest.fixture(scope="module")
def user_server(hub: RunningHub) -> str:
    """A user created by the admin through the REST API, with a running server."""
    assert hub.api("POST", f"users/{USER}").status_code == 201
    # The hub answers 202 after its own 10 s wait for a slow server; wait longer than that.
    started = hub.api("POST", f"users/{USER}/server", timeout=SERVER_TIMEOUT)
    assert started.status_code in (201, 202)
    _wait_for_server(hub, USER)
    return f"user/{USER}/"


async def _user_expression(ws_url: str, token: str, expression: str) -> str:
    """Evaluate ``expression`` in a kernel over its websocket; its ``text/plain`` value."""
    connection = await websocket_connect(
        HTTPRequest(ws_url, headers={"Authorization": f"token {token}"}, connect_timeout=10)
    )
    msg_id = uuid.uuid4().hex
    connection.write_message(
        json.dumps(
            {
                "channel": "shell",
                "header": {
                    "msg_id": msg_id,
                    "msg_type": "execute_request",
                    "session": uuid.uuid4().hex,
                    "username": "test",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": "",
                    "silent": False,
                    "store_history": False,
                    "user_expressions": {"value": expression},
                    "allow_stdin": False,
                },
                "buffers": [],
            }
        )
    )
    try:
        while True:
            raw = await asyncio.wait_for(connection.read_message(), SERVER_TIMEOUT)
            assert raw is not None, "kernel websocket closed before the reply"
            message = json.loads(raw)
            if (
                message["msg_type"] == "execute_reply"
                and message["parent_header"].get("msg_id") == msg_id
            ):
                result = message["content"]["user_expressions"]["value"]
                assert result["status"] == "ok", result
                return str(result["data"]["text/plain"])
    finally:
        connection.close()


def test_demo_user_logs_in_as_admin_with_the_password(hub: RunningHub) -> None:
    session, status = hub.login("demo", hub.password)
    assert status == 302
    assert "jupyterhub-hub-login" in session.cookies
    assert hub.api("GET", "users/demo").json()["admin"] is True


def test_wrong_password_is_refused(hub: RunningHub) -> None:
    session, status = hub.login("demo", hub.password[::-1])
    assert status == 403
    assert "jupyterhub-hub-login" not in session.cookies


def test_launcher_prints_where_and_how_to_log_in(hub: RunningHub) -> None:
    log = hub.log()
    assert f"jupyter-dl hub: {hub.url}" in log
    assert "user:     demo" in log
    assert "password: the value of $JUPYTER_DL_DEMO_PASSWORD" in log
    # A password the admin chose is theirs to keep out of logs.
    assert hub.password not in log


def test_admin_starts_a_server_for_a_new_user(hub: RunningHub, user_server: str) -> None:
    response = hub.request("GET", user_server + "api/status")
    assert response.status_code == 200
    assert (hub.state_dir / "users" / USER).is_dir()


def test_user_server_serves_the_platform_api(hub: RunningHub, user_server: str) -> None:
    response = hub.request("GET", user_server + "dl/api/info")
    assert response.status_code == 200
    facts = response.json()
    assert {"version", "store", "gpus"} <= facts.keys()
    # The hub passes its JUPYTER_DL_DB_URL on to the servers it spawns.
    assert facts["store"]["location"] == hub.db_url.removeprefix("sqlite:///")


def test_kernels_load_the_platform_extension(hub: RunningHub, user_server: str) -> None:
    startup = hub.state_dir / "users" / USER / KERNEL_STARTUP_FILE
    assert startup.is_file()
    response = hub.request("POST", user_server + "api/kernels", json={"name": "python3"})
    assert response.status_code == 201
    kernel_id = response.json()["id"]
    ws_url = f"{hub.url.replace('http', 'ws', 1)}{user_server}api/kernels/{kernel_id}/channels"
    loaded = asyncio.run(
        _user_expression(
            ws_url,
            hub.admin_token,
            "'jupyter_dl_kernel' in get_ipython().extension_manager.loaded",
        )
    )
    assert loaded == "True"


def test_launcher_refuses_passwordless_hub_reachable_by_others(tmp_path: Path) -> None:
    result = subprocess.run(
        launcher_command("--ip", "0.0.0.0", "--state-dir", str(tmp_path / "state")),
        env=hub_environment(JUPYTER_DL_DEMO_PASSWORD=""),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Refusing to start" in result.stderr
    assert "JUPYTER_DL_DEMO_PASSWORD" in result.stderr
    assert "Traceback" not in result.stderr


def test_stopping_the_hub_stops_proxy_servers_and_kernels(
    hub: RunningHub, user_server: str
) -> None:
    assert hub.request("POST", user_server + "api/kernels").status_code == 201
    processes = psutil.Process(hub.process.pid).children(recursive=True)
    commands = [" ".join(process.cmdline()) for process in processes]
    for expected in ("configurable-http-proxy", "jupyterhub.singleuser", "ipykernel_launcher"):
        assert any(expected in command for command in commands), (expected, commands)

    assert hub.stop() == 0

    _, alive = psutil.wait_procs(processes, timeout=10)
    assert alive == [], [process.cmdline() for process in alive]
    assert not (hub.state_dir / "jupyterhub.pid").exists()
    assert not (hub.state_dir / "proxy.pid").exists()
