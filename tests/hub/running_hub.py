"""Starting and talking to a real embedded hub process, the way people run it.

The hub runs as its own process (``python -m jupyter_dl_hub``, what ``jupyter dl
hub`` runs) with a temporary state directory, a known demo password and a known
admin API token; tests talk to it over HTTP through its proxy only, as a browser
or a script would.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

STARTUP_TIMEOUT = 30
STOP_TIMEOUT = 30


def free_port_run(length: int = 4) -> int:
    """A loopback port that is free together with the ``length - 1`` ports after it.

    The hub listens on the port, its proxy API on port + 1, its REST API on port + 2
    and its quota service on port + 3.
    """
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port + length <= 65536 and all(_is_free(port + i) for i in range(length)):
            return port
    raise RuntimeError(f"no run of {length} free loopback ports found")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def launcher_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "jupyter_dl_hub", *args]


def hub_environment(**overrides: str) -> dict[str, str]:
    """This process's environment without jupyter-dl settings, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JUPYTER_DL_")}
    env.update(overrides)
    return env


@dataclass
class RunningHub:
    process: subprocess.Popen[bytes]
    url: str
    state_dir: Path
    log_file: Path
    db_url: str
    admin_token: str = field(repr=False)
    password: str = field(repr=False)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the hub's REST API (``/hub/api/<path>``) with the admin token."""
        return self.request(method, f"hub/api/{path}", **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Any request through the proxy, authenticated with the admin token."""
        headers = {"Authorization": f"token {self.admin_token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 10)
        return requests.request(method, self.url + path, headers=headers, **kwargs)

    def login(self, username: str, password: str) -> tuple[requests.Session, int]:
        """Submit the login form as a browser does; the session and the response status."""
        session = requests.Session()
        session.get(self.url + "hub/login", timeout=10).raise_for_status()
        response = session.post(
            self.url + "hub/login",
            data={"username": username, "password": password, "_xsrf": session.cookies["_xsrf"]},
            allow_redirects=False,
            timeout=10,
        )
        return session, response.status_code

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def stop(self) -> int:
        """Stop the hub as a service manager would (SIGTERM); its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        """Last resort after a failed stop: the hub and everything it started."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start_hub(
    root: Path,
    *hub_args: str,
    port: int | None = None,
    password: str | None = None,
    admin_token: str | None = None,
    **extra_env: str,
) -> RunningHub:
    """A hub with its state, log and platform store under ``root``, once it answers.

    ``hub_args`` go to JupyterHub (``--JupyterHub.cleanup_servers=False``);
    ``extra_env`` is added to the hub's environment (``CUDA_VISIBLE_DEVICES=""``
    hides this machine's GPUs from it, for instance). ``port``, ``password`` and
    ``admin_token`` are chosen afresh unless given (to restart a hub as it was)."""
    port = port or free_port_run()
    password = password or secrets.token_urlsafe(32)
    admin_token = admin_token or secrets.token_hex(32)
    db_url = f"sqlite:///{root / 'platform.sqlite'}"
    log_file = root / "hub.log"
    env = hub_environment(
        JUPYTER_DL_DEMO_PASSWORD=password,
        JUPYTER_DL_HUB_ADMIN_TOKEN=admin_token,
        JUPYTER_DL_DB_URL=db_url,
        **extra_env,
    )
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            launcher_command("--port", str(port), "--state-dir", str(root / "state"), *hub_args),
            env=env,
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # A process group of its own, so that kill() reaches all it started.
            start_new_session=True,
        )
    hub = RunningHub(
        process=process,
        url=f"http://127.0.0.1:{port}/",
        state_dir=root / "state",
        log_file=log_file,
        db_url=db_url,
        admin_token=admin_token,
        password=password,
    )
    try:
        _wait_until_up(hub)
    except BaseException:
        hub.kill()
        raise
    return hub


def _wait_until_up(hub: RunningHub) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"hub exited with {hub.process.returncode}:\n{hub.log()}")
        try:
            if requests.get(hub.url + "hub/api/", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"hub did not answer within {STARTUP_TIMEOUT}s:\n{hub.log()}")


def restart_hub(hub: RunningHub, *hub_args: str, **extra_env: str) -> RunningHub:
    """Stop ``hub`` (SIGTERM) and start a new one on its state, port, password and token."""
    hub.stop()
    return start_hub(
        hub.state_dir.parent,
        *hub_args,
        port=int(hub.url.rsplit(":", 1)[1].strip("/")),
        password=hub.password,
        admin_token=hub.admin_token,
        **extra_env,
    )


@contextmanager
def hub_running(root: Path, *hub_args: str, **extra_env: str) -> Iterator[RunningHub]:
    """A started hub for the block, stopped (or killed, if stopping fails) afterwards."""
    running = start_hub(root, *hub_args, **extra_env)
    try:
        yield running
    finally:
        try:
            running.stop()
        except subprocess.TimeoutExpired:
            running.kill()
