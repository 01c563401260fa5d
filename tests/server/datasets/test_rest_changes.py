"""REST routes that change things: create from a server folder, new versions, catalog
edits, lineage. Each test has its own store and repository."""

import asyncio

import pytest

import jupyter_dl as dl
from jupyter_dl.tracking.client import API_TOKEN_ENV, API_URL_ENV, HttpTransport

from ..openapi import validate
from ..tracking.test_rest import Api
from .conftest import write_sample


@pytest.fixture
def jp_server_config(store_url, datasets_env):
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_dl": True}},
        "JupyterDL": {
            "db_url": store_url,
            "datasets_dir": str(datasets_env.repo),
            "dataset_remote": str(datasets_env.remote),
        },
    }


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


@pytest.fixture
def folder(jp_root_dir):
    write_sample(jp_root_dir / "data" / "pets")
    return "data/pets"


async def test_create_edit_and_version_from_server_folders(api, folder, jp_root_dir):
    body = {"name": "pets", "path": folder, "description": "Cats", "tags": ["img"], "tag": "v1"}
    validate(body, "NewDataset")
    created = await api.ok("POST", "datasets", body, status=201)
    validate(created, "Dataset")
    assert created["latest"]["ref"] == "v1"
    assert created["owner"]

    changes = {"description": "Cats and dogs", "tags": ["images"]}
    validate(changes, "DatasetChanges")
    edited = await api.ok("PATCH", "datasets/pets", changes)
    assert (edited["description"], edited["tags"]) == ("Cats and dogs", ["images"])

    code, error = await api.fail("POST", "datasets/pets/versions", {"path": folder})
    assert (code, error["code"]) == (409, "conflict")
    assert "nothing changed" in error["message"]
    (jp_root_dir / folder / "new.txt").write_text("new")
    body = {"path": folder, "message": "One more", "tag": "v2"}
    validate(body, "NewDatasetVersion")
    version = await api.ok("POST", "datasets/pets/versions", body, status=201)
    validate(version, "DatasetVersion")
    assert (version["ref"], version["message"]) == ("v2", "One more")
    diff = await api.ok("GET", "datasets/pets/diff", params={"from": "v1"})
    assert [c["path"] for c in diff["items"]] == ["new.txt"]


@pytest.mark.parametrize("path", ["../outside", "/etc", "data/../../outside", "data\\pets"])
async def test_create_from_outside_the_server_root_is_refused(api, folder, path):
    code, error = await api.fail("POST", "datasets", {"name": "x", "path": path})
    assert (code, error["code"]) == (400, "bad_request")
    assert (await api.ok("GET", "datasets"))["items"] == []


async def test_create_through_a_symlink_out_of_the_root_is_refused(api, jp_root_dir, tmp_path):
    outside = write_sample(tmp_path / "outside")
    (jp_root_dir / "escape").symlink_to(outside)
    code, error = await api.fail("POST", "datasets", {"name": "x", "path": "escape"})
    assert code == 400
    assert "outside the server's root" in error["message"]
    inside = write_sample(jp_root_dir / "inside")
    (inside / "leak.txt").symlink_to(tmp_path / "outside" / "README.md")
    code, error = await api.fail("POST", "datasets", {"name": "x", "path": "inside"})
    assert code == 400
    assert "leak.txt" in error["message"]
    assert (await api.ok("GET", "datasets"))["items"] == []


async def test_bad_bodies_are_400s(api, folder):
    for body in ({"name": "x"}, {"path": folder}, {"name": "x", "path": folder, "extra": 1}, []):
        code, _ = await api.fail("POST", "datasets", body)
        assert code == 400, body
    code, _ = await api.fail("POST", "datasets", b"{not json")
    assert code == 400
    code, error = await api.fail("POST", "datasets", {"name": "../x", "path": folder})
    assert "dataset name" in error["message"]


async def test_lineage_recorded_and_read_over_rest(api, folder):
    await api.ok("POST", "datasets", {"name": "pets", "path": folder, "tag": "v1"}, status=201)
    run = await api.new_run()
    body = {"dataset": "pets", "version": "v1"}
    validate(body, "NewDatasetUsage")
    usage = await api.ok("POST", f"runs/{run['id']}/datasets", body)
    validate(usage, "DatasetUsage")
    again = await api.ok("POST", f"runs/{run['id']}/datasets", body)
    assert again["used_at"] == usage["used_at"]
    used = await api.ok("GET", f"runs/{run['id']}/datasets")
    validate(used, "DatasetUsagePage")
    assert [(u["dataset"], u["version"]) for u in used["items"]] == [("pets", "v1")]
    runs = await api.ok("GET", "datasets/pets/versions/v1/runs")
    validate(runs, "DatasetRunPage")
    assert [r["id"] for r in runs["items"]] == [run["id"]]
    code, _ = await api.fail("POST", f"runs/{run['id']}/datasets", {"dataset": "nope"})
    assert code == 404


async def test_dl_dataset_in_a_run_logged_over_http_records_lineage(
    api, server, folder, monkeypatch
):
    url, token = server
    await api.ok("POST", "datasets", {"name": "pets", "path": folder, "tag": "v1"}, status=201)
    monkeypatch.setenv(API_URL_ENV, url)
    monkeypatch.setenv(API_TOKEN_ENV, token)

    def train():
        # Blocking HTTP calls must stay off the event loop that serves them.
        run = dl.init("remote", capture_code=False, system_metrics=None)
        assert isinstance(run.transport, HttpTransport)
        dl.dataset("pets").read_bytes("meta.json")
        dl.finish()
        return run.id

    run_id = await asyncio.to_thread(train)
    used = await api.ok("GET", f"runs/{run_id}/datasets")
    assert [(u["dataset"], u["version"]) for u in used["items"]] == [("pets", "v1")]
