"""The team's platform service on a real embedded hub and a real PostgreSQL server.

Users: ada and carol in the group ``vision``, bob in ``audio``; ``demo`` is the hub's
admin. Each calls the service (``/services/jupyter-dl-platform/dl/api``) with a
token of their own, as their servers and kernels do, and through their own
server, which forwards the shared routes to the service.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from jupyter_dl_hub.platform import SERVICE_NAME

from .running_hub import RunningHub, hub_running

SERVICE = f"services/{SERVICE_NAME}/dl/api/"
SERVER_TIMEOUT = 60
GROUPS = {"vision": ["ada", "carol"], "audio": ["bob"]}


@pytest.fixture(scope="module")
def team_hub(tmp_path_factory: pytest.TempPathFactory, postgres: Any) -> Iterator[RunningHub]:
    url = postgres.create_database("team_platform")
    with hub_running(tmp_path_factory.mktemp("team-hub"), JUPYTER_DL_TEAM_DB_URL=url) as hub:
        for user in ("ada", "bob", "carol"):
            assert hub.api("POST", f"users/{user}").status_code == 201
        for group, users in GROUPS.items():
            assert hub.api("POST", f"groups/{group}", json={"users": users}).status_code == 201
        _wait_for_service(hub)
        yield hub


@pytest.fixture(scope="module")
def tokens(team_hub: RunningHub) -> dict[str, str]:
    found = {}
    for user in ("ada", "bob", "carol", "demo"):
        response = team_hub.api("POST", f"users/{user}/tokens", json={"note": "team tests"})
        assert response.status_code == 201, response.text
        found[user] = response.json()["token"]
    return found


def _wait_for_service(hub: RunningHub) -> None:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if hub.request("GET", SERVICE + "info").status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the platform service did not answer:\n{hub.log()}")


class As:
    """Calls of the platform service (or of a user's own server) as one user."""

    def __init__(self, hub: RunningHub, token: str, prefix: str = SERVICE) -> None:
        self.hub, self.token, self.prefix = hub, token, prefix

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs["headers"] = {"Authorization": f"token {self.token}"}
        kwargs.setdefault("timeout", 30)
        return requests.request(method, self.hub.url + self.prefix + path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None


def test_the_service_runs_on_postgresql_and_knows_each_caller(team_hub, tokens):
    ada = As(team_hub, tokens["ada"])
    info = ada.ok("GET", "info")
    assert info["store"]["backend"] == "postgresql"
    assert "***" in info["store"]["location"]  # the password never leaves the service
    run = ada.ok("POST", "runs", json={"project": "ada-notes", "config": {"lr": 0.1}})
    assert run["owner"] == "ada"
    # Nobody without a hub token gets anything.
    assert requests.get(team_hub.url + SERVICE + "runs", timeout=10).status_code in (302, 403)
    anonymous = requests.get(
        team_hub.url + SERVICE + "runs", headers={"Authorization": "token nope"}, timeout=10
    )
    assert anonymous.status_code == 403
    # The service is the platform API and nothing else: no kernels, no files.
    for path in ("api/kernels", "api/contents", "api/terminals", "files/x", "lab"):
        response = ada("GET", "../../" + path, allow_redirects=False)
        assert response.status_code in (403, 404), (path, response.status_code)


def test_private_work_stays_private_and_a_group_shares_it(team_hub, tokens):
    ada, bob, carol, admin = (As(team_hub, tokens[u]) for u in ("ada", "bob", "carol", "demo"))
    run = ada.ok("POST", "runs", json={"project": "ada-private", "name": "secret"})
    ada.ok("POST", f"runs/{run['id']}/metrics", json={"rows": [["loss", 0, time.time(), 0.5]]})
    ada.ok("PUT", f"runs/{run['id']}/artifacts/notes.txt", data=b"private notes")

    for user in (bob, carol):
        for path in (
            f"runs/{run['id']}",
            f"runs/{run['id']}/metrics/loss",
            f"runs/{run['id']}/artifacts",
            f"runs/{run['id']}/artifacts/notes.txt",
            f"compare?runs={run['id']}",
            "projects/ada-private/sharing",
        ):
            assert user("GET", path).status_code == 404, path
        assert run["id"] not in {r["id"] for r in user.ok("GET", "runs?archived=all")["items"]}
        assert "ada-private" not in {p["name"] for p in user.ok("GET", "projects")["items"]}
        assert run["id"] not in user("GET", "runs/export.csv").text
        assert user("PATCH", f"runs/{run['id']}", json={"name": "mine"}).status_code == 404
        assert user("DELETE", f"runs/{run['id']}").status_code == 404
    # The hub's admin sees everything.
    assert admin.ok("GET", f"runs/{run['id']}")["name"] == "secret"

    ada.ok("PUT", "projects/ada-private/sharing", json={"group": "vision"})
    assert carol.ok("GET", f"runs/{run['id']}")["name"] == "secret"
    assert carol("GET", f"runs/{run['id']}/artifacts/notes.txt").content == b"private notes"
    assert carol("PATCH", f"runs/{run['id']}", json={"name": "mine"}).status_code == 403
    assert bob("GET", f"runs/{run['id']}").status_code == 404

    ada.ok("PUT", "projects/ada-private/sharing", json={"group": "vision", "group_access": "write"})
    assert carol.ok("PATCH", f"runs/{run['id']}", json={"notes": "looked at it"})["notes"]
    # Carol cannot share what is Ada's, nor with a group she is not in.
    assert carol("PUT", "projects/ada-private/sharing", json={"group": None}).status_code == 403
    assert ada("PUT", "projects/ada-private/sharing", json={"group": "audio"}).status_code == 403


def test_a_users_server_uses_the_team_platform(team_hub, tokens):
    """Ada's own server answers the shared routes from the team's store, as Ada."""
    ada = As(team_hub, tokens["ada"])
    shared = ada.ok("POST", "runs", json={"project": "ada-server", "name": "from-the-service"})
    response = team_hub.api("POST", "users/ada/server", timeout=SERVER_TIMEOUT)
    assert response.status_code in (201, 202), response.text
    server = As(team_hub, tokens["ada"], prefix="user/ada/dl/api/")
    deadline = time.monotonic() + SERVER_TIMEOUT
    while server("GET", "info").status_code != 200:
        assert time.monotonic() < deadline, team_hub.log()
        time.sleep(0.5)
    try:
        runs = server.ok("GET", "runs?project=ada-server")["items"]
        assert [r["name"] for r in runs] == ["from-the-service"]
        made = server.ok("POST", "runs", json={"project": "ada-server", "name": "from-lab"})
        assert made["owner"] == "ada"
        assert ada.ok("GET", f"runs/{made['id']}")["name"] == "from-lab"
        assert server("GET", f"runs/{shared['id']}").status_code == 200
        # Bob's private run is as invisible through Ada's server as anywhere.
        bob = As(team_hub, tokens["bob"])
        theirs = bob.ok("POST", "runs", json={"project": "bob-private"})
        assert server("GET", f"runs/{theirs['id']}").status_code == 404
        # Jobs stay on the server itself.
        assert server.ok("GET", "jobs")["items"] == []
    finally:
        team_hub.api("DELETE", "users/ada/server", timeout=SERVER_TIMEOUT)
