"""GPU quotas on a real embedded hub: refusals at spawn, the quota service's REST API
and its scopes, stopping at the limit, and accounting across a hub restart.

What is simulated: the machine's GPUs. The hub runs with ``CUDA_VISIBLE_DEVICES=""``
and ``JUPYTER_DL_HUB_SIMULATED_GPUS=4``, so it hands out four made-up GPUs (the
servers see none); limits, refusals and GPU-seconds are counted exactly as with
real ones. Users: ana in ml-team (at most 2 GPUs at once), bob in students (CPU
only, one server).

The quota database (limits, accounting sessions, notices) is a real PostgreSQL
server, started by ``tests/postgres.py``, as a team's hub would use.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import psutil
import pytest
import requests
import yaml
from referencing import Registry, Resource

import jupyter_dl_hub.quotas
from jupyter_dl_hub.quotas.ledger import QuotaLedger
from jupyter_dl_hub.quotas.models import ServerSession
from jupyter_dl_hub.quotas.settings import QuotaSettings
from jupyter_dl_hub.quotas.store import QuotaStore

from .running_hub import RunningHub, hub_environment, hub_running, restart_hub
from .test_embedded_hub import _user_expression as kernel_expression

SERVER_TIMEOUT = 30
SERVICE = "services/jupyter-dl-quotas/"
JUPYTER_DL = str(Path(sys.executable).parent / "jupyter-dl")
GPU_HUB = {"CUDA_VISIBLE_DEVICES": "", "JUPYTER_DL_HUB_SIMULATED_GPUS": "4"}


SPEC = yaml.safe_load((Path(jupyter_dl_hub.quotas.__file__).parent / "openapi.yaml").read_text())


def conforms(instance: Any, schema_name: str) -> Any:
    """``instance``, once checked against ``components/schemas/<schema_name>`` of the
    service's OpenAPI document."""
    registry = Registry().with_resource("urn:spec", Resource.opaque(SPEC))
    schema = {"$ref": f"urn:spec#/components/schemas/{schema_name}"}
    jsonschema.Draft202012Validator(schema, registry=registry).validate(instance)
    return instance


def service(
    hub: RunningHub, method: str, path: str, token: str | None = None, **kwargs: Any
) -> requests.Response:
    """Call the quota service through the proxy, with the admin token or ``token``."""
    if token is not None:
        kwargs["headers"] = {"Authorization": f"token {token}"}
    return hub.request(method, SERVICE + path, **kwargs)


def wait_for_service(hub: RunningHub) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        if service(hub, "GET", "api/limits").status_code == 200:
            return
        time.sleep(0.2)
    raise AssertionError(f"the quota service did not answer:\n{hub.log()}")


def spawn(hub: RunningHub, user: str, profile: str, server: str = "") -> requests.Response:
    path = f"users/{user}/servers/{server}" if server else f"users/{user}/server"
    return hub.api("POST", path, json={"profile": profile}, timeout=SERVER_TIMEOUT)


def wait_until_ready(hub: RunningHub, user: str, server: str = "") -> dict[str, Any]:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        model: dict[str, Any] = hub.api("GET", f"users/{user}").json()["servers"].get(server) or {}
        if model.get("ready"):
            return model
        time.sleep(0.3)
    raise AssertionError(f"{user}'s server {server!r} not ready:\n{hub.log()}")


def running_servers(hub: RunningHub, user: str) -> list[str]:
    return sorted(hub.api("GET", f"users/{user}").json()["servers"])


def token_of(hub: RunningHub, user: str) -> str:
    response = hub.api("POST", f"users/{user}/tokens", json={"note": "quota tests"})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def ledger_of(url: str) -> QuotaLedger:
    """The quota database the hub uses, read as the quota service reads it."""
    return QuotaLedger(QuotaStore(url), QuotaSettings(db_url=url))


@pytest.fixture(scope="module")
def quota_hub(tmp_path_factory: pytest.TempPathFactory, postgres: Any) -> Iterator[RunningHub]:
    # Limits, sessions and notices on PostgreSQL, as a team's hub keeps them.
    quotas_db = postgres.create_database("quota_hub")
    with hub_running(
        tmp_path_factory.mktemp("quota-hub"), JUPYTER_DL_QUOTAS_DB_URL=quotas_db, **GPU_HUB
    ) as hub:
        wait_for_service(hub)
        for user in ("ana", "bob"):
            assert hub.api("POST", f"users/{user}").status_code == 201
        for group, user in (("ml-team", "ana"), ("students", "bob")):
            assert hub.api("POST", f"groups/{group}", json={"users": [user]}).status_code == 201
        limits = {
            "groups/ml-team": {"max_gpus": 2, "gpu_hours": 100, "period_days": 7},
            "groups/students": {"allowed_profiles": ["cpu"]},
            "users/bob": {"max_servers": 1},
        }
        for path, body in limits.items():
            response = service(hub, "PUT", f"api/limits/{path}", json=body)
            assert response.status_code == 200, response.text
        yield hub


def test_more_gpus_than_the_group_allows_is_refused(quota_hub: RunningHub) -> None:
    response = spawn(quota_hub, "ana", "4-gpus")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "This would use 4 GPUs at once; your limit is 2 (group ml-team). Choose a profile"
        " with fewer GPUs."
    )
    assert running_servers(quota_hub, "ana") == []


def test_gpus_held_by_running_servers_count(quota_hub: RunningHub) -> None:
    assert spawn(quota_hub, "ana", "1-gpu").status_code in (201, 202)
    wait_until_ready(quota_hub, "ana")
    assert spawn(quota_hub, "ana", "1-gpu", "second").status_code in (201, 202)
    wait_until_ready(quota_hub, "ana", "second")
    response = spawn(quota_hub, "ana", "1-gpu", "third")
    assert response.status_code == 403
    assert response.json()["message"].startswith(
        "This would use 3 GPUs at once; your limit is 2 (group ml-team). Stop a GPU server"
    )


def test_a_profile_the_user_may_not_have_is_refused(quota_hub: RunningHub) -> None:
    # Forged: the spawn form never offers it to bob, the REST API is asked anyway.
    response = spawn(quota_hub, "bob", "1-gpu")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "The profile '1-gpu' (1 GPU) is not allowed for you; you may use: cpu (group students)."
    )
    assert running_servers(quota_hub, "bob") == []


def test_the_spawn_page_disables_and_refuses_what_the_quota_forbids(quota_hub: RunningHub) -> None:
    browser, status = quota_hub.login("demo", quota_hub.password)
    assert status == 302
    page = browser.get(quota_hub.url + "hub/spawn/bob/page-test", timeout=10)
    assert 'value="1-gpu" disabled>' in page.text
    assert "(not allowed for you)" in page.text
    refused = browser.post(
        quota_hub.url + "hub/spawn/bob/page-test",
        data={"profile": "4-gpus", "_xsrf": browser.cookies["_xsrf"]},
        timeout=SERVER_TIMEOUT,
    )
    assert refused.status_code == 403
    assert "The profile &#39;4-gpus&#39; (4 GPUs) is not allowed for you" in refused.text


def test_more_servers_than_allowed_is_refused(quota_hub: RunningHub) -> None:
    assert spawn(quota_hub, "bob", "cpu").status_code in (201, 202)
    wait_until_ready(quota_hub, "bob")
    response = spawn(quota_hub, "bob", "cpu", "another")
    assert response.status_code == 403
    assert response.json()["message"] == (
        "This would be 2 servers running at once; your limit is 1 (user bob). Stop one of"
        " your servers first."
    )


def test_a_user_reads_their_own_quota_and_nothing_else(quota_hub: RunningHub) -> None:
    token = token_of(quota_hub, "bob")
    me = service(quota_hub, "GET", "api/me", token)
    assert me.status_code == 200
    conforms(me.json(), "QuotaStatus")
    assert me.json()["user"] == "bob"
    assert me.json()["groups"] == ["students"]
    assert me.json()["limits"]["allowed_profiles"] == ["cpu"]
    assert me.json()["usage"]["servers"] == 1
    for method, path, body in [
        ("GET", "api/usage", None),
        ("GET", "api/users/ana", None),
        ("GET", "api/limits", None),
        ("PUT", "api/limits/users/bob", {"max_servers": 5}),
        ("DELETE", "api/limits/groups/students", None),
        ("POST", "api/enforce", None),
    ]:
        response = service(quota_hub, method, path, token, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert (
            "custom:jupyter-dl:quotas:admin"
            in conforms(response.json(), "Error")["error"]["message"]
        )
    limits = service(quota_hub, "GET", "api/limits/users/bob").json()["limits"]
    assert limits["max_servers"] == 1


def test_the_page_changes_limits_only_with_its_xsrf_token(quota_hub: RunningHub) -> None:
    browser, _ = quota_hub.login("demo", quota_hub.password)
    # The hub's OAuth, without a confirmation page, then the page itself.
    page = browser.get(quota_hub.url + SERVICE, timeout=10)
    assert page.status_code == 200
    assert "GPU-hours per group" in page.text
    form = {"action": "set", "kind": "user", "name": "dora", "max_gpus": "1"}
    forged = browser.post(quota_hub.url + SERVICE, data=form, allow_redirects=False, timeout=10)
    assert forged.status_code == 403
    assert service(quota_hub, "GET", "api/limits/users/dora").json()["limits"] is None
    token = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert token is not None
    saved = browser.post(
        quota_hub.url + SERVICE, data={**form, "_xsrf": token[1]}, allow_redirects=False, timeout=10
    )
    assert saved.status_code == 302
    assert service(quota_hub, "GET", "api/limits/users/dora").json()["limits"]["max_gpus"] == 1
    service(quota_hub, "DELETE", "api/limits/users/dora")


def test_without_a_token_the_api_is_refused(quota_hub: RunningHub) -> None:
    response = requests.put(
        quota_hub.url + SERVICE + "api/limits/users/bob", json={"max_servers": 9}, timeout=10
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_bad_limits_are_refused_and_change_nothing(quota_hub: RunningHub) -> None:
    response = service(quota_hub, "PATCH", "api/limits/groups/ml-team", json={"max_gpus": -1})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "bad_request",
        "message": "max_gpus must be 0 or more, not -1.",
    }
    limits = conforms(service(quota_hub, "GET", "api/limits/groups/ml-team").json(), "LimitsBody")
    assert limits["limits"]["max_gpus"] == 2
    listed = conforms(
        service(quota_hub, "GET", "api/limits", params={"limit": 2}).json(), "LimitsPage"
    )
    assert [item["name"] for item in listed["items"]] == ["ml-team", "students"]
    rest = service(quota_hub, "GET", "api/limits", params={"cursor": listed["next_cursor"]})
    assert [item["name"] for item in rest.json()["items"]] == ["bob"]


def test_usage_per_user_and_group(quota_hub: RunningHub) -> None:
    by_user = conforms(
        service(quota_hub, "GET", "api/usage", params={"since": "2000-01-01"}).json(), "UsagePage"
    )
    ana = next(row for row in by_user["items"] if row["user"] == "ana")
    assert (ana["running_servers"], ana["running_gpus"]) == (2, 2)
    assert ana["gpu_hours"] > 0
    by_group = service(
        quota_hub, "GET", "api/usage", params={"since": "2000-01-01", "by": "group"}
    ).json()
    assert {row["group"] for row in by_group["items"]} == {"ml-team", "students"}
    bad = service(quota_hub, "GET", "api/usage", params={"since": "last tuesday"})
    assert bad.status_code == 400
    assert "since must be a date such as 2026-11-01" in bad.json()["error"]["message"]


def cli(hub: RunningHub, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    """``jupyter dl ARGS`` from an admin's shell: the hub's URL and a token."""
    env = hub_environment(JUPYTER_DL_HUB_ADMIN_TOKEN=token or hub.admin_token)
    return subprocess.run(
        [JUPYTER_DL, *args, "--hub-url", hub.url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_cli_sets_and_shows_limits_and_usage(quota_hub: RunningHub) -> None:
    done = cli(
        quota_hub, "quota", "set", "--user", "carl", "--servers", "1", "--profiles", "cpu,1-gpu"
    )
    assert done.returncode == 0, done.stderr
    assert "user carl:" in done.stdout
    assert "profiles         1-gpu, cpu" in done.stdout

    shown = cli(quota_hub, "quota", "show", "--user", "ana")
    assert shown.returncode == 0, shown.stderr
    assert "user ana (groups: ml-team)" in shown.stdout
    assert "GPUs at once     2                      group ml-team" in shown.stdout
    assert "running: 2 servers, 2 GPUs" in shown.stdout

    listed = cli(quota_hub, "quota", "show")
    assert "group  ml-team" in listed.stdout
    assert "user   carl" in listed.stdout

    usage = cli(quota_hub, "usage", "--since", "2000-01-01", "--by", "group")
    assert usage.returncode == 0, usage.stderr
    assert "GPU-hours per group, 2000-01-01T00:00:00Z to " in usage.stdout
    assert "ml-team" in usage.stdout

    bad = cli(quota_hub, "quota", "set", "--user", "carl", "--gpus", "two")
    assert bad.returncode == 2
    assert "max_gpus must be a whole number of GPUs or 'unlimited', not 'two'." in bad.stderr
    assert cli(quota_hub, "quota", "unset", "--user", "carl").returncode == 0

    refused = cli(
        quota_hub,
        "quota",
        "set",
        "--user",
        "bob",
        "--servers",
        "3",
        token=token_of(quota_hub, "bob"),
    )
    assert refused.returncode == 1
    assert "custom:jupyter-dl:quotas:admin" in refused.stderr


def test_dl_quota_in_a_kernel_shows_the_users_own_quota(quota_hub: RunningHub) -> None:
    # bob's CPU server runs since test_more_servers_than_allowed_is_refused.
    response = quota_hub.request("POST", "user/bob/api/kernels", json={"name": "python3"})
    assert response.status_code == 201, response.text
    ws_url = (
        quota_hub.url.replace("http", "ws", 1)
        + f"user/bob/api/kernels/{response.json()['id']}/channels"
    )
    value = asyncio.run(
        kernel_expression(
            ws_url,
            quota_hub.admin_token,
            "(lambda q: (q['user'], q['limits']['allowed_profiles'], q['limits']['sources']"
            "['allowed_profiles']))(get_ipython().run_line_magic('dl_quota', '--json'))",
        )
    )
    assert value == "('bob', ['cpu'], 'group students')"


def test_out_of_gpu_hours_refuses_gpu_servers_and_stops_running_ones(
    quota_hub: RunningHub,
) -> None:
    # ana's two GPU servers have run for seconds: more than her 0.36 GPU-seconds. Her
    # own "unlimited" GPUs at once lifts ml-team's 2, so only the hours refuse.
    limits = {"gpu_hours": 0.0001, "max_gpus": "unlimited"}
    assert service(quota_hub, "PUT", "api/limits/users/ana", json=limits).status_code == 200
    response = spawn(quota_hub, "ana", "1-gpu", "third")
    assert response.status_code == 403
    assert "GPU-hours in the last 7 days (user ana)" in response.json()["message"]
    # A CPU server is still fine.
    assert spawn(quota_hub, "ana", "cpu", "cpu-only").status_code in (201, 202)

    outcome = conforms(service(quota_hub, "POST", "api/enforce").json(), "CheckOutcome")
    assert sorted(outcome["stopped"]) == ["ana/", "ana/second"]
    deadline = time.monotonic() + SERVER_TIMEOUT
    while running_servers(quota_hub, "ana") != ["cpu-only"] and time.monotonic() < deadline:
        time.sleep(0.3)
    assert running_servers(quota_hub, "ana") == ["cpu-only"]
    me = conforms(
        service(quota_hub, "GET", "api/me", token_of(quota_hub, "ana")).json(), "QuotaStatus"
    )
    assert me["budget"]["state"] == "exhausted"
    assert me["notices"][0]["kind"] == "stopped"
    assert me["notices"][0]["message"].startswith("Your GPU servers were stopped")


def test_every_route_is_in_the_openapi_document() -> None:
    from jupyter_dl_hub.quotas.handlers import default_handlers

    prefix = "/services/jupyter-dl-quotas/"
    api = [
        route.removeprefix(prefix + "api")
        for route, _ in default_handlers(prefix)
        if "/api/" in route
    ]
    documented = [
        path.replace("{name}", "([^/]+)").replace("{kinds}", "(users|groups)")
        for path in SPEC["paths"]
    ]
    assert sorted(api) == sorted(documented)


def test_accounting_survives_a_hub_restart(
    tmp_path_factory: pytest.TempPathFactory, postgres: Any
) -> None:
    # Restarted without stopping the servers, as an admin upgrading the hub would.
    keep_servers = "--JupyterHub.cleanup_servers=False"
    quotas_db = postgres.create_database("quota_restart")
    env = {"JUPYTER_DL_QUOTAS_DB_URL": quotas_db, **GPU_HUB}
    with hub_running(tmp_path_factory.mktemp("restart"), keep_servers, **env) as first:
        for user in ("ana", "bob"):
            assert first.api("POST", f"users/{user}").status_code == 201
            assert spawn(first, user, "1-gpu").status_code in (201, 202)
        ana_pid = wait_until_ready(first, "ana")["state"]["pid"]
        bob_pid = wait_until_ready(first, "bob")["state"]["pid"]
        before = {s.user: s for s in ledger_of(quotas_db).open_sessions()}
        assert set(before) == {"ana", "bob"}

        first.stop()
        stopped_at = time.time()
        # bob's server dies while the hub is down.
        psutil.Process(bob_pid).kill()
        psutil.Process(bob_pid).wait(timeout=10)

        second = restart_hub(first, keep_servers, **env)
        try:
            wait_for_service(second)
            ledger = ledger_of(quotas_db)
            still_open = {s.user: s for s in ledger.open_sessions()}
            # ana's server ran on: the same session, accruing from its first start.
            assert list(still_open) == ["ana"]
            assert still_open["ana"].id == before["ana"].id
            assert still_open["ana"].started_at == before["ana"].started_at
            # bob's is closed at the last time the first hub saw it running.
            with ledger.store.session() as session:
                bob = session.get(ServerSession, before["bob"].id)
                assert bob is not None
                assert bob.end_reason == "gone"
                assert bob.ended_at == bob.last_seen_at
                assert bob.ended_at <= stopped_at

            assert second.api("DELETE", "users/ana/server", timeout=SERVER_TIMEOUT).status_code in (
                202,
                204,
            )
            deadline = time.monotonic() + SERVER_TIMEOUT
            while ledger.open_sessions() and time.monotonic() < deadline:
                time.sleep(0.3)
            report = {row["user"]: row for row in ledger.report(since=0)}
            assert report["ana"]["running_servers"] == 0
            assert report["ana"]["gpu_hours"] * 3600 >= stopped_at - before["ana"].started_at
        finally:
            second.stop()
            # The hubs leave servers running by design: end any this test left.
            for pid in (ana_pid, bob_pid):
                if psutil.pid_exists(pid):
                    psutil.Process(pid).kill()
