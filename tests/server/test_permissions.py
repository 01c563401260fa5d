"""Who sees what: every ``/dl/api`` route checks the caller's standing.

The server here is given an access resolver, as the team service is, so each
request acts as the user the test names: ``ada`` owns private work, ``bob``
shares no group with her, ``carol`` is in her group ``vision``, ``root`` is an
admin. The route table itself is walked, so a route added later without a
check fails here.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from tornado.httpclient import HTTPClientError

import jupyter_dl as dl
from jupyter_dl.app import JupyterDL
from jupyter_dl.store.models import Job

from .registry.conftest import mlp


@pytest.fixture(autouse=True)
def dirs(platform_dirs):
    """Each test's packages, artifacts and datasets in its own folders."""


class Caller:
    """Requests to the server as one of the test people at a time."""

    def __init__(self, acting, client, base_url, auth_header):
        self.acting = acting
        self.client = client
        self.base_url = base_url
        self.auth_header = auth_header

    async def fetch(self, who, method, path, body=None):
        """(status, parsed body or text) of ``method path`` as ``who``."""
        self.acting.who = who
        data = None if body is None else json.dumps(body)
        if method in ("POST", "PUT", "PATCH") and data is None:
            data = "{}"
        try:
            response = await self.client.fetch(
                f"{self.base_url}dl/api/{path}",
                method=method,
                headers=self.auth_header,
                body=data,
                allow_nonstandard_methods=True,
            )
        except HTTPClientError as error:
            response = error.response
        text = response.body.decode() if response.body else ""
        try:
            return response.code, json.loads(text)
        except ValueError:
            return response.code, text

    async def ok(self, who, method, path, body=None):
        code, payload = await self.fetch(who, method, path, body)
        assert code < 300, (who, method, path, code, payload)
        return payload


@pytest.fixture
def caller(acting, http_server_client, jp_base_url, jp_auth_header):
    return Caller(acting, http_server_client, jp_base_url, jp_auth_header)


@pytest.fixture
def adas_work(server, jp_serverapp, tmp_path, monkeypatch):
    """Ada's private project (one run with a metric, an artifact and a dataset used),
    dataset, model, job, sweep and deployment."""
    import torch

    settings = jp_serverapp.web_app.settings
    for variable in ("USER", "LOGNAME"):
        monkeypatch.setenv(variable, "ada")
    tracking = settings["dl_tracking"]
    run = tracking.create_run("ada-private", name="secret", owner="ada")
    tracking.log_points(run["id"], [("loss", 0, time.time(), 0.5)])
    tracking.add_artifact(run["id"], "note.txt", b"private")
    source = tmp_path / "ada-data"
    source.mkdir()
    (source / "a.txt").write_text("hello")
    settings["dl_datasets"].create_dataset("ada-data", source, owner="ada")
    settings["dl_datasets"].record_usage(run["id"], "ada-data")
    torch.manual_seed(0)
    dl.publish(mlp(), "ada-model", example_input=torch.randn(2, 4), aliases=("production",))
    deployment = settings["dl_deployments"].create("ada-model@production", "ada")
    with settings["dl_store"].session(write=True) as s:
        s.add(
            Job(
                id="adajob000001",
                name="train",
                kind="script",
                backend="local",
                status="failed",
                nproc=1,
                gpus=0,
                workdir=str(tmp_path),
                max_restarts=0,
                owner="ada",
                host="elsewhere",
                created_at=time.time(),
            )
        )
    from jupyter_dl.training.sweeps import NewSweep

    sweep = settings["dl_sweeps"].create(
        NewSweep(
            name="tune",
            project="ada-private",
            metric="loss",
            mode="min",
            pruner=None,
            sampler="random",
            space={},
            trials_requested=1,
            parallel=1,
            backend="local",
            owner="ada",
        )
    )
    return {
        "run_id": run["id"],
        "job_id": "adajob000001",
        "sweep_id": sweep["id"],
        "deployment_id": deployment["id"],
    }


#: What each path argument of a route stands for, among Ada's records.
def _values(prefix: str, ids: dict[str, str]) -> dict[str, str]:
    names = {"datasets": "ada-data", "models": "ada-model", "projects": "ada-private"}
    return {
        **ids,
        "name": names.get(prefix, "note.txt"),
        "version": "1" if prefix == "models" else "latest",
        "path": "a.txt",
        "alias": "production",
        "key": "loss",
    }


def _routes():
    """Every platform route with a path argument, as (URL pattern, handler class)."""
    app = JupyterDL()
    app.handlers = []
    app.initialize_handlers()
    for pattern, handler, *_ in app.handlers:
        if "(?P<" in pattern:
            yield pattern, handler


def _fill(pattern: str, values: dict[str, str]) -> str:
    path = pattern.split("dl/api/", 1)[1]
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], path).replace("\\.", ".")


def vars_of(handler):
    """Methods a handler (or one of our base classes) defines itself."""
    found = set()
    for klass in handler.__mro__:
        if klass.__module__.startswith("jupyter_dl"):
            found |= {m for m in ("get", "post", "put", "patch", "delete") if m in vars(klass)}
    return found


async def test_every_route_hides_private_work_from_others(caller, adas_work):
    checked = []
    for pattern, handler in _routes():
        if handler.__name__ == "NotFoundHandler":
            continue
        prefix = pattern.split("dl/api/", 1)[1].split("/", 1)[0]
        path = _fill(pattern, _values(prefix, adas_work))
        for method in sorted(vars_of(handler)):
            code, body = await caller.fetch("bob", method.upper(), path)
            assert code == 404, (method, path, code, body)
            checked.append(f"{method.upper()} {path}")
    assert len(checked) > 40
    # Ada herself reaches her records through the same routes.
    assert (await caller.ok("ada", "GET", f"runs/{adas_work['run_id']}"))["name"] == "secret"
    assert (await caller.ok("ada", "GET", "datasets/ada-data"))["owner"] == "ada"
    assert (await caller.ok("ada", "GET", f"jobs/{adas_work['job_id']}"))["owner"] == "ada"


async def test_lists_show_only_what_the_caller_may_read(caller, adas_work):
    run_id = adas_work["run_id"]
    lists = {
        "projects": lambda page: [p["name"] for p in page["items"]],
        "runs?archived=all": lambda page: [r["id"] for r in page["items"]],
        "datasets": lambda page: [d["name"] for d in page["items"]],
        "models": lambda page: [m["name"] for m in page["items"]],
        "jobs": lambda page: [j["id"] for j in page["items"]],
        "sweeps": lambda page: [s["id"] for s in page["items"]],
        "deployments": lambda page: [d["id"] for d in page["items"]],
    }
    for path, names in lists.items():
        assert names(await caller.ok("bob", "GET", path)) == [], path
        assert names(await caller.ok("ada", "GET", path)) != [], path
        assert names(await caller.ok("root", "GET", path)) != [], path
    assert await caller.ok("bob", "GET", "runs/columns") == {"config": [], "summary": []}
    csv = await caller.ok("bob", "GET", "runs/export.csv")
    assert run_id not in csv
    assert "secret" not in csv
    assert run_id in await caller.ok("ada", "GET", "runs/export.csv")
    code, _ = await caller.fetch("bob", "GET", f"compare?runs={run_id}")
    assert code == 404


async def test_a_group_reads_what_its_member_shares_and_writes_when_allowed(caller, adas_work):
    run_id = adas_work["run_id"]
    point = {"rows": [["loss", 1, time.time(), 0.25]]}
    # Only Ada's groups, and only Ada, may share her project.
    code, error = await caller.fetch(
        "ada", "PUT", "projects/ada-private/sharing", {"group": "audio"}
    )
    assert (code, error["error"]["code"]) == (403, "permission_denied")
    code, _ = await caller.fetch(
        "carol", "PUT", "projects/ada-private/sharing", {"group": "vision"}
    )
    assert code == 404
    shared = await caller.ok("ada", "PUT", "projects/ada-private/sharing", {"group": "vision"})
    assert shared == {"owner": "ada", "group": "vision", "group_access": "read"}

    assert (await caller.ok("carol", "GET", f"runs/{run_id}"))["name"] == "secret"
    assert [p["name"] for p in (await caller.ok("carol", "GET", "projects"))["items"]] == [
        "ada-private"
    ]
    code, error = await caller.fetch("carol", "POST", f"runs/{run_id}/metrics", point)
    assert code == 403
    assert "may only read" in error["error"]["message"]
    code, _ = await caller.fetch("carol", "POST", "runs", {"project": "ada-private"})
    assert code == 403
    code, _ = await caller.fetch("carol", "PUT", "projects/ada-private/sharing", {"group": None})
    assert code == 403
    assert (await caller.fetch("bob", "GET", f"runs/{run_id}"))[0] == 404

    await caller.ok(
        "ada", "PUT", "projects/ada-private/sharing", {"group": "vision", "group_access": "write"}
    )
    await caller.ok("carol", "POST", f"runs/{run_id}/metrics", point)
    theirs = await caller.ok("carol", "POST", "runs", {"project": "ada-private", "name": "mine"})
    assert theirs["owner"] == "carol"

    # Datasets and models are shared the same way, each on its own.
    assert (await caller.fetch("carol", "GET", "datasets/ada-data"))[0] == 404
    await caller.ok("ada", "PUT", "datasets/ada-data/sharing", {"group": "vision"})
    assert (await caller.ok("carol", "GET", "datasets/ada-data"))["group"] == "vision"
    await caller.ok("ada", "PUT", "models/ada-model/sharing", {"group": "vision"})
    assert (await caller.ok("carol", "GET", "models/ada-model"))["owner"] == "ada"
    code, _ = await caller.fetch("carol", "PUT", "models/ada-model/aliases/staging", {"version": 1})
    assert code == 403
    # Back to private: Carol loses sight of it at once.
    await caller.ok("ada", "PUT", "models/ada-model/sharing", {"group": None})
    assert (await caller.fetch("carol", "GET", "models/ada-model"))[0] == 404


async def test_only_admins_change_owners(caller, adas_work):
    code, _ = await caller.fetch("ada", "PUT", "datasets/ada-data/sharing", {"owner": "bob"})
    assert code == 403
    code, _ = await caller.fetch("ada", "PATCH", "datasets/ada-data", {"owner": "bob"})
    assert code == 403
    moved = await caller.ok("root", "PUT", "datasets/ada-data/sharing", {"owner": "bob"})
    assert moved["owner"] == "bob"
    assert (await caller.ok("bob", "GET", "datasets/ada-data"))["owner"] == "bob"
    assert (await caller.fetch("ada", "GET", "datasets/ada-data"))[0] == 404
    code, error = await caller.fetch("root", "PUT", "datasets/ada-data/sharing", {"colour": 1})
    assert code == 400
    assert "colour" in error["error"]["message"]
