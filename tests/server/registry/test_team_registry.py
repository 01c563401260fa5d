"""The registry of a team: a notebook whose server points at the platform API.

A real server plays the team's platform; the notebook side has
``JUPYTER_DL_API_URL`` and a token pointing at it, and a store and models folder of
its own, which the team's models must not land in. Blocking calls run on a worker
thread: the platform answers on this test's event loop.
"""

import asyncio
import shutil
import sqlite3

import pytest
import torch

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.errors import NotFound
from jupyter_dl.paths import DB_URL_ENV, MODELS_ENV
from jupyter_dl.platform_client import API_TOKEN_ENV, API_URL_ENV, PlatformClient
from jupyter_dl.registry.client import CACHE_DIR

from .conftest import mlp

QUIET = {"capture_code": False, "system_metrics": None}


@pytest.fixture
def platform(server, jp_serverapp, tmp_path, monkeypatch):
    """The team's registry (the server's), with this process pointed at it."""
    url, token = server
    settings = jp_serverapp.web_app.settings
    monkeypatch.setenv(API_URL_ENV, url)
    monkeypatch.setenv(API_TOKEN_ENV, token)
    # The notebook's own server: another store, another models folder.
    monkeypatch.setenv(DB_URL_ENV, f"sqlite:///{tmp_path / 'own.sqlite'}")
    monkeypatch.setenv(MODELS_ENV, str(tmp_path / "own-models"))
    api._registry = api._training = api._datasets = api._deployments = None
    return settings["dl_registry"]


@pytest.fixture
def client(server):
    url, token = server
    return PlatformClient(url, token)


def in_thread(fn, *args, **kwargs):
    return asyncio.to_thread(fn, *args, **kwargs)


async def test_publish_registers_the_version_in_the_teams_registry_with_its_run(
    platform, example, tmp_path
):
    model = mlp()

    def train_and_publish():
        with dl.init(project="shapes", name="trial-1", **QUIET) as run:
            dl.log({"loss": 0.5}, step=0)
            run.summary["accuracy"] = 0.9
            version = dl.publish(model, "team-mlp", example_input=example, description="first")
        return run, version

    run, version = await in_thread(train_and_publish)

    assert (version["model"], version["version"], version["aliases"]) == (
        "team-mlp",
        1,
        ["staging"],
    )
    stored = platform.find("team-mlp", alias="staging")
    assert stored["run_id"] == run.id
    assert stored["lineage"]["run"] == {"id": run.id, "name": "trial-1", "project": "shapes"}
    assert stored["metrics"] == {"loss": 0.5, "accuracy": 0.9}
    assert stored["description"] == "first"
    assert platform.run_models(run.id) == ["models/team-mlp"]  # kept with its run
    # The notebook's own server neither stored nor registered anything.
    assert not (tmp_path / "own-models").exists()
    assert not (tmp_path / "own.sqlite").exists()


async def test_publish_without_a_run_keeps_the_model_with_a_run_named_after_it(platform, example):
    version = await in_thread(dl.publish, mlp(), "solo", example_input=example, aliases=())
    run = platform.tracking.get_run(version["run_id"])
    assert (run["name"], run["status"]) == ("solo", "finished")
    assert version["aliases"] == []
    # Publishing again from the same run keeps each package whole, in its own folder.
    again = await in_thread(dl.publish, mlp(1), "solo", run=run["id"], example_input=example)
    assert again["version"] == 2
    assert platform.run_models(run["id"]) == ["models/solo", "models/solo-2"]
    assert platform.tracking.get_run(run["id"])["status"] == "finished"


async def test_load_model_fetches_a_checked_copy_that_gives_the_same_output(
    platform, example, tmp_path
):
    model = mlp()
    await in_thread(dl.publish, model, "team-mlp", example_input=example, aliases=["production"])
    batch = torch.randn(5, 4)

    loaded = await in_thread(dl.load_model, "team-mlp@production")
    assert torch.allclose(loaded(batch), model.eval()(batch), atol=1e-6)
    by_number = await in_thread(dl.load_model, "team-mlp:1")
    assert torch.allclose(by_number(batch), model(batch), atol=1e-6)
    state = await in_thread(dl.load_model, "team-mlp", weights=True)
    assert torch.equal(state["0.weight"], model.state_dict()["0.weight"])

    version = platform.find("team-mlp", version=1)
    cached = tmp_path / "own-models" / CACHE_DIR / version["path"]
    assert sorted(p.name for p in cached.iterdir()) == sorted(f["name"] for f in version["files"])
    # A complete copy is used as it is, even once the platform cannot serve the files.
    shutil.rmtree(platform.package_dir(version))
    again = await in_thread(dl.load_model, "team-mlp:1")
    assert torch.allclose(again(batch), model(batch), atol=1e-6)


async def test_a_tampered_cached_file_is_fetched_again(platform, example, tmp_path):
    model = mlp()
    await in_thread(dl.publish, model, "team-mlp", example_input=example)
    await in_thread(dl.load_model, "team-mlp")
    version = platform.find("team-mlp")
    cached = tmp_path / "own-models" / CACHE_DIR / version["path"]
    weights = cached / "weights.safetensors"
    original = weights.read_bytes()
    weights.write_bytes(b"not the weights")
    (cached / "program.pt2").unlink()

    state = await in_thread(dl.load_model, "team-mlp", weights=True)

    assert torch.equal(state["2.bias"], model.state_dict()["2.bias"])
    assert weights.read_bytes() == original
    assert (cached / "program.pt2").is_file()


async def test_a_fetched_file_that_does_not_match_its_checksum_is_refused(
    platform, example, tmp_path
):
    await in_thread(dl.publish, mlp(), "team-mlp", example_input=example)
    version = platform.find("team-mlp")
    (platform.package_dir(version) / "weights.safetensors").write_bytes(b"changed on the server")

    with pytest.raises(ValueError, match=r"weights\.safetensors .* does not match the checksum"):
        await in_thread(dl.load_model, "team-mlp", weights=True)
    cached = tmp_path / "own-models" / CACHE_DIR / version["path"]
    assert not (cached / "weights.safetensors").exists()
    assert [p.name for p in cached.iterdir() if p.name.startswith(".fetch-")] == []


async def test_a_runs_kept_model_publishes_over_http(platform, example):
    model = mlp()

    def keep():
        with dl.init(project="shapes", **QUIET) as run:
            dl.log({"loss": 0.25}, step=1)
            dl.log_model(model, example_input=example)
        return run.id

    run_id = await in_thread(keep)
    version = await in_thread(dl.publish, run_id, "kept", description="best trial")
    assert (version["version"], version["run_id"]) == (1, run_id)
    assert platform.find("kept")["metrics"] == {"loss": 0.25}
    with pytest.raises(ValueError, match="no model folder 'models/other'"):
        await in_thread(dl.publish, run_id, "kept", kept="other")
    assert [m["name"] for m in await in_thread(dl.models)] == ["kept"]


async def test_team_errors_read_as_the_local_ones(platform, example):
    await in_thread(dl.publish, mlp(), "team-mlp", example_input=example)
    with pytest.raises(ValueError, match="no model named 'nope'"):
        await in_thread(dl.load_model, "nope")
    with pytest.raises(ValueError, match="has no alias 'production'"):
        await in_thread(dl.load_model, "team-mlp@production")
    with pytest.raises(ValueError, match="has no version 7"):
        await in_thread(dl.load_model, "team-mlp:7")
    with pytest.raises(ValueError, match="an alias is a lower-case name"):
        await in_thread(dl.publish, mlp(), "team-mlp", example_input=example, aliases=["Prod"])
    with pytest.raises(ValueError, match="a model name is"):
        await in_thread(dl.publish, mlp(), "bad name", example_input=example)
    assert platform.get_model("team-mlp")["versions"] == 1


@pytest.mark.parametrize(
    "path",
    ["..%2F..%2Fjupyter_dl.sqlite", "..%2Fsignature.json", "%2Fetc%2Fpasswd", "missing.bin"],
)
async def test_the_files_route_serves_only_the_packages_files(platform, client, example, path):
    await in_thread(dl.publish, mlp(), "team-mlp", example_input=example)
    manifest = await in_thread(
        client.request, "GET", "models/team-mlp/versions/1/files/package.json"
    )
    assert b'"signature"' in manifest
    with pytest.raises(NotFound, match="has no file"):
        await in_thread(client.request, "GET", f"models/team-mlp/versions/1/files/{path}")


async def test_deploy_serves_a_team_version_from_this_servers_machine(platform, example, tmp_path):
    model = mlp()
    await in_thread(dl.publish, model, "team-mlp", example_input=example, aliases=["production"])
    deployment = await in_thread(dl.deploy, "team-mlp@production", max_batch_size=4)
    try:
        batch = torch.randn(3, 4)
        outputs = await in_thread(deployment.predict, batch)
        assert torch.allclose(torch.from_numpy(outputs), model.eval()(batch), atol=1e-5)
        live = await in_thread(dl.deployments)
        assert [(d["model"], d["version"]) for d in live] == [("team-mlp", 1)]
    finally:
        assert await in_thread(deployment.stop) == "stopped"
    # Recorded by the notebook's own server, not the team's.
    with sqlite3.connect(tmp_path / "own.sqlite") as db:
        assert db.execute("select ref from dl_deployments").fetchall() == [("team-mlp@production",)]
    assert platform.list_models().items[0]["name"] == "team-mlp"
