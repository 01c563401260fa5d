"""The tracking REST API through a real Jupyter server with the extension loaded.

Every answer is checked against ``openapi.yaml``: the Experiments panel and the
HTTP logger are written against that document, not against the code.
"""

import asyncio
import csv
import hashlib
import io
import json
import os
from urllib.parse import quote, urlencode

import pytest

from jupyter_dl.errors import BadRequest
from jupyter_dl.tracking import handlers
from jupyter_dl.tracking.client import HttpTransport

from ..openapi import validate


class Api:
    """Requests to ``/dl/api`` sent exactly as written (no re-escaping of the path)."""

    def __init__(self, client, base_url, auth):
        self.client = client
        self.base_url = base_url
        self.auth = auth

    async def fetch(self, method, path, body=None, params=(), headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        url = self.base_url + "dl/api/" + path + ("?" + urlencode(params) if params else "")
        return await self.client.fetch(
            url,
            method=method,
            body=body,
            headers=self.auth if headers is None else headers,
            raise_error=False,
            request_timeout=30,
        )

    async def ok(self, method, path, body=None, params=(), status=200):
        response = await self.fetch(method, path, body, params)
        assert response.code == status, response.body
        return json.loads(response.body) if response.body else None

    async def fail(self, method, path, body=None, params=(), headers=None):
        """(status, error) of a request that must fail with a JSON error."""
        response = await self.fetch(method, path, body, params, headers)
        assert 400 <= response.code < 500, (response.code, response.body)
        assert response.headers["Content-Type"].startswith("application/json")
        error = json.loads(response.body)
        validate(error, "Error")
        return response.code, error["error"]

    async def new_run(self, **fields):
        body = {"project": "mnist", **fields}
        validate(body, "NewRun")
        run = await self.ok("POST", "runs", body, status=201)
        validate(run, "Run")
        return run

    async def log(self, run_id, points):
        body = {"points": [{"key": k, "step": s, "value": v} for k, s, v in points]}
        validate(body, "MetricBatch")
        return await self.ok("POST", f"runs/{run_id}/metrics", body)

    async def metrics(self, run_id):
        return (await self.ok("GET", f"runs/{run_id}/metrics"))["items"]


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


# ------------------------------------------------------------- happy paths


async def test_create_get_update_and_delete_a_run(api):
    run = await api.new_run(name="first", config={"lr": 0.1}, tags=["baseline"], notes="n")
    assert run["status"] == "running"
    assert run["config"] == {"lr": 0.1}

    detail = await api.ok("GET", f"runs/{run['id']}")
    validate(detail, "RunDetail")
    assert detail["metrics"] == []
    assert detail["artifacts"] == 0

    changes = {"name": "renamed", "tags": ["best"], "summary": {"acc": 0.9}, "status": "finished"}
    validate(changes, "RunChanges")
    changed = await api.ok("PATCH", f"runs/{run['id']}", changes)
    validate(changed, "Run")
    assert (changed["name"], changed["tags"], changed["status"]) == (
        "renamed",
        ["best"],
        "finished",
    )
    assert changed["summary"] == {"acc": 0.9}

    response = await api.fetch("DELETE", f"runs/{run['id']}")
    assert response.code == 204
    code, error = await api.fail("GET", f"runs/{run['id']}")
    assert code == 404
    assert run["id"] in error["message"]


async def test_runs_table_filters_sorts_and_pages(api):
    for lr in (0.001, 0.01, 0.1, 0.5, 1.0):
        await api.new_run(config={"lr": lr}, tags=["sweep"])
    await api.new_run(config={"lr": 2.0})
    params = [("filter", "config.lr>=0.01"), ("filter", "tag=sweep")]
    params += [("sort", "config.lr"), ("order", "asc"), ("limit", "2"), ("count", "true")]

    seen = []
    cursor = None
    while True:
        page = await api.ok("GET", "runs", params=params + ([("cursor", cursor)] if cursor else []))
        validate(page, "RunPage")
        assert page["total"] == 4
        seen += [r["config"]["lr"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [0.01, 0.1, 0.5, 1.0]


async def test_projects_and_columns_describe_the_runs(api):
    await api.new_run(config={"opt": {"lr": 0.1}})
    await api.new_run(project="cifar")
    projects = await api.ok("GET", "projects")
    validate(projects, "ProjectPage")
    assert {p["name"]: p["runs"] for p in projects["items"]} == {"mnist": 1, "cifar": 1}
    columns = await api.ok("GET", "runs/columns", params={"project": "mnist"})
    assert columns == {"config": ["opt.lr"], "summary": []}


async def test_heartbeat_is_accepted(api):
    run = await api.new_run()
    response = await api.fetch("POST", f"runs/{run['id']}/heartbeat")
    assert response.code == 204


async def test_logged_points_are_listed_and_charted(api):
    run = await api.new_run()
    assert await api.log(run["id"], [("train/loss", 0, 2.0), ("train/loss", 1, "NaN")]) == {
        "written": 2
    }
    rows = {"rows": [["train/loss", 2, 1_700_000_000.5, 1.0], ["acc", 0, 1_700_000_000.0, 0.5]]}
    validate(rows, "MetricBatch")
    assert await api.ok("POST", f"runs/{run['id']}/metrics", rows) == {"written": 2}

    items = await api.metrics(run["id"])
    for item in items:
        validate(item, "MetricKey")
    assert [(m["key"], m["count"], m["last"]) for m in items] == [
        ("acc", 1, 0.5),
        ("train/loss", 3, 1.0),
    ]

    series = await api.ok("GET", f"runs/{run['id']}/metrics/{quote('train/loss', safe='')}")
    validate(series, "Series")
    assert series["steps"] == [0, 1, 2]
    assert series["values"] == [2.0, "NaN", 1.0]
    assert series["times"][2] == 1_700_000_000.5


async def test_long_series_is_downsampled_by_the_server(api):
    run = await api.new_run()
    rows = [["loss", s, 1_700_000_000.0, 0.0] for s in range(50_000)]
    rows[31_337][3] = "Infinity"
    rows[40_000][3] = -5.0
    await api.ok("POST", f"runs/{run['id']}/metrics", {"rows": rows})
    series = await api.ok("GET", f"runs/{run['id']}/metrics/loss", params={"points": "200"})
    validate(series, "Series")
    assert series["downsampled"] is True
    assert series["total"] == 50_000
    assert len(series["steps"]) <= 200
    assert series["steps"][series["values"].index("Infinity")] == 31_337
    assert series["steps"][series["values"].index(-5.0)] == 40_000


async def test_compare_puts_runs_side_by_side(api):
    a, b = await api.new_run(name="a"), await api.new_run(name="b")
    await api.log(a["id"], [("loss", 0, 1.0), ("loss", 1, 0.5)])
    await api.log(b["id"], [("loss", 0, 2.0)])
    got = await api.ok("GET", "compare", params={"runs": f"{a['id']},{b['id']}", "keys": "loss"})
    validate(got, "Comparison")
    assert [r["name"] for r in got["runs"]] == ["a", "b"]
    assert got["series"]["loss"][a["id"]] == {"steps": [0, 1], "values": [1.0, 0.5]}
    assert got["series"]["loss"][b["id"]] == {"steps": [0], "values": [2.0]}


async def test_artifact_upload_listing_and_download_of_the_exact_bytes(api):
    run = await api.new_run()
    data = os.urandom(3 * 1024 * 1024 + 17)  # several streamed chunks
    stored = await api.ok("PUT", f"runs/{run['id']}/artifacts/ckpt%2Fmodel.pt", data, status=201)
    validate(stored, "Artifact")
    assert stored == {**stored, "name": "ckpt/model.pt", "size": len(data)}
    assert stored["sha256"] == hashlib.sha256(data).hexdigest()

    listed = await api.ok("GET", f"runs/{run['id']}/artifacts")
    for item in listed["items"]:
        validate(item, "Artifact")
    assert [a["name"] for a in listed["items"]] == ["ckpt/model.pt"]

    response = await api.fetch("GET", f"runs/{run['id']}/artifacts/ckpt%2Fmodel.pt")
    assert response.code == 200
    assert response.body == data
    assert response.headers["Content-Length"] == str(len(data))
    assert 'filename="model.pt"' in response.headers["Content-Disposition"]


async def test_csv_export_downloads_the_filtered_runs(api):
    await api.new_run(name="kept", config={"lr": 0.1}, tags=["a", "b"])
    dropped = await api.new_run(name="dropped")
    await api.ok("PATCH", f"runs/{dropped['id']}", {"status": "failed"})
    response = await api.fetch("GET", "runs/export.csv", params={"filter": "status=running"})
    assert response.code == 200
    assert 'filename="runs.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.body.decode())))
    assert [(r["name"], r["config.lr"], r["tags"]) for r in rows] == [("kept", "0.1", "a;b")]


async def test_csv_export_is_served_as_csv(api):
    await api.new_run()
    response = await api.fetch("GET", "runs/export.csv")
    assert response.headers["Content-Type"].startswith("text/csv")


# -------------------------------------------------------------- bad input


async def test_non_numeric_metric_value_is_refused_naming_the_key(api):
    run = await api.new_run()
    body = {
        "points": [
            {"key": "loss", "step": 0, "value": 1.0},
            {"key": "acc", "step": 0, "value": "high"},
        ]
    }
    code, error = await api.fail("POST", f"runs/{run['id']}/metrics", body)
    assert code == 400
    assert "'acc'" in error["message"]
    assert "'high'" in error["message"]
    assert await api.metrics(run["id"]) == []


@pytest.mark.parametrize(
    "body",
    [
        {"points": [{"key": "loss", "step": -1, "value": 1.0}]},
        {"points": [{"key": "loss", "step": 1.5, "value": 1.0}]},
        {"points": [{"key": "", "step": 0, "value": 1.0}]},
        {"points": [{"key": "loss", "value": 1.0}]},
        {"rows": [["loss", 0, "yesterday", 1.0]]},
        {"rows": [["loss", 0, 1.0]]},
        {"values": [1.0]},
    ],
    ids=["negative-step", "float-step", "empty-key", "no-step", "bad-time", "short-row", "shape"],
)
async def test_malformed_points_are_refused_and_nothing_written(api, body):
    run = await api.new_run()
    valid = {"key": "ok", "step": 0, "value": 1.0}
    if "points" in body:
        body = {"points": [valid, *body["points"]]}
    code, error = await api.fail("POST", f"runs/{run['id']}/metrics", body)
    assert code == 400
    assert error["code"] == "bad_request"
    assert await api.metrics(run["id"]) == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "runs/abcdef123456"),
        ("PATCH", "runs/abcdef123456"),
        ("DELETE", "runs/abcdef123456"),
        ("POST", "runs/abcdef123456/heartbeat"),
        ("GET", "runs/abcdef123456/metrics"),
        ("POST", "runs/abcdef123456/metrics"),
        ("GET", "runs/abcdef123456/metrics/loss"),
        ("GET", "runs/abcdef123456/artifacts"),
        ("PUT", "runs/abcdef123456/artifacts/model.pt"),
        ("GET", "compare?runs=abcdef123456"),
    ],
)
async def test_unknown_run_is_a_404_naming_it(api, artifacts_dir, method, path):
    body = {
        "PATCH": {"notes": "x"},
        "POST": {"points": [{"key": "loss", "step": 0, "value": 1.0}]},
        "PUT": b"weights",
    }.get(method)
    code, error = await api.fail(method, path, body)
    assert code == 404
    assert error["code"] == "not_found"
    assert "abcdef123456" in error["message"]
    assert not artifacts_dir.exists() or not any(artifacts_dir.iterdir())


async def test_unknown_metric_and_artifact_are_404s(api):
    run = await api.new_run()
    code, error = await api.fail("GET", f"runs/{run['id']}/metrics/loss")
    assert code == 404
    assert "'loss'" in error["message"]
    code, error = await api.fail("GET", f"runs/{run['id']}/artifacts/model.pt")
    assert code == 404
    assert "'model.pt'" in error["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "runs"), ("PATCH", "runs/{id}"), ("POST", "runs/{id}/metrics")],
)
async def test_malformed_json_is_a_400_and_changes_nothing(api, method, path):
    run = await api.new_run(name="untouched")
    code, error = await api.fail(method, path.format(id=run["id"]), b'{"project": "mnist",')
    assert code == 400
    assert "JSON" in error["message"]
    page = await api.ok("GET", "runs")
    assert [r["name"] for r in page["items"]] == ["untouched"]
    assert await api.metrics(run["id"]) == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"name": "no project"}, '"project"'),
        ({"project": "mnist", "colour": "red"}, "colour"),
        ({"project": "mnist", "tags": "baseline"}, "tags"),
        ({"project": "mnist", "config": [1, 2]}, "config"),
        ({"project": "mnist", "id": "UPPER"}, "UPPER"),
        ({"project": ""}, "project"),
    ],
)
async def test_invalid_new_run_is_refused_naming_the_field(api, body, named):
    code, error = await api.fail("POST", "runs", body)
    assert code == 400
    assert named in error["message"]
    assert (await api.ok("GET", "runs", params=[("count", "true")]))["total"] == 0


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"filter": "colour=red"}, "'colour'"),
        ({"filter": "config.lr"}, "'config.lr'"),
        ({"sort": "colour"}, "'colour'"),
        ({"order": "sideways"}, "order"),
        ({"limit": "many"}, "limit"),
        ({"limit": "5000"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"archived": "maybe"}, "archived"),
    ],
)
async def test_bad_query_of_the_runs_table_is_a_400_naming_it(api, params, named):
    await api.new_run()
    code, error = await api.fail("GET", "runs", params=params)
    assert code == 400
    assert named in error["message"]
    if not {"limit", "cursor"} & set(params):  # the export has no pages
        code, error = await api.fail("GET", "runs/export.csv", params=params)
        assert code == 400
        assert named in error["message"]


async def test_oversized_metrics_body_is_a_413_and_nothing_written(api, monkeypatch):
    run = await api.new_run()
    monkeypatch.setattr(handlers, "MAX_METRICS_BODY", 1000)
    body = {"points": [{"key": "loss", "step": s, "value": 1.0} for s in range(100)]}
    code, error = await api.fail("POST", f"runs/{run['id']}/metrics", body)
    assert code == 413
    assert error["code"] == "payload_too_large"
    assert "1000 bytes" in error["message"]
    assert await api.metrics(run["id"]) == []


async def test_too_many_points_in_one_request_is_a_413(api, monkeypatch):
    run = await api.new_run()
    monkeypatch.setattr(handlers, "MAX_POINTS_PER_REQUEST", 10)
    body = {"rows": [["loss", s, 1.0, 1.0] for s in range(11)]}
    code, error = await api.fail("POST", f"runs/{run['id']}/metrics", body)
    assert code == 413
    assert "at most 10" in error["message"]
    assert await api.metrics(run["id"]) == []


async def test_logging_to_a_finished_run_is_a_409(api):
    run = await api.new_run()
    await api.ok("PATCH", f"runs/{run['id']}", {"status": "finished"})
    body = {"points": [{"key": "loss", "step": 0, "value": 1.0}]}
    code, error = await api.fail("POST", f"runs/{run['id']}/metrics", body)
    assert code == 409
    assert error["code"] == "conflict"
    assert await api.metrics(run["id"]) == []


@pytest.mark.parametrize(
    "name",
    ["..%2Fescape.txt", "%2E%2E%2Fescape.txt", "a%2F..%2F..%2Fescape.txt", "%2Fetc%2Fpasswd"],
)
async def test_artifact_path_traversal_is_a_400_and_nothing_written(api, artifacts_dir, name):
    run = await api.new_run()
    code, error = await api.fail("PUT", f"runs/{run['id']}/artifacts/{name}", b"payload")
    assert code == 400
    assert "artifact name" in error["message"]
    code, _ = await api.fail("GET", f"runs/{run['id']}/artifacts/{name}")
    assert code == 400
    assert (await api.ok("GET", f"runs/{run['id']}/artifacts"))["items"] == []
    written = [p for p in artifacts_dir.parent.rglob("*") if p.is_file()]
    assert not [p for p in written if p.read_bytes() == b"payload"]


async def test_artifact_name_clashing_with_a_stored_file_is_a_client_error(api):
    run = await api.new_run()
    await api.ok("PUT", f"runs/{run['id']}/artifacts/ckpt", b"file", status=201)
    _, error = await api.fail("PUT", f"runs/{run['id']}/artifacts/ckpt%2Fmodel.pt", b"x")
    assert "ckpt" in error["message"]


async def test_artifact_name_with_a_percent_sign_round_trips(server):
    url, token = server
    client = HttpTransport(url, token)
    run = await asyncio.to_thread(client.create_run, {"project": "mnist"})
    stored = await asyncio.to_thread(client.add_artifact, run["id"], "lr%41.txt", b"x")
    assert stored["name"] == "lr%41.txt"


# ------------------------------------------------------------------- auth


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "projects"),
        ("GET", "runs"),
        ("POST", "runs"),
        ("GET", "runs/columns"),
        ("GET", "runs/export.csv"),
        ("GET", "runs/{id}"),
        ("PATCH", "runs/{id}"),
        ("DELETE", "runs/{id}"),
        ("POST", "runs/{id}/heartbeat"),
        ("POST", "runs/{id}/metrics"),
        ("GET", "runs/{id}/metrics/loss"),
        ("GET", "runs/{id}/artifacts"),
        ("PUT", "runs/{id}/artifacts/model.pt"),
        ("GET", "compare?runs={id}"),
    ],
)
async def test_every_route_needs_authentication(api, method, path):
    run = await api.new_run(name="before")
    body = {"POST": {"project": "x", "points": []}, "PATCH": {"name": "changed"}}.get(method)
    code, _ = await api.fail(method, path.format(id=run["id"]), body, headers={})
    assert code == 403
    after = await api.ok("GET", f"runs/{run['id']}")
    assert after["name"] == "before"
    assert (await api.ok("GET", "runs", params=[("count", "true")]))["total"] == 1


async def test_http_client_errors_carry_the_servers_message(server):
    url, token = server
    client = HttpTransport(url, token)
    run = await asyncio.to_thread(client.create_run, {"project": "mnist"})
    with pytest.raises(BadRequest, match="'acc'"):
        await asyncio.to_thread(client.log_series, run["id"], {"acc": ([0], [1.0], ["high"])})
