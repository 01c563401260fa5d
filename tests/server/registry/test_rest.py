"""The registry's REST API through a real Jupyter server, checked against ``openapi.yaml``."""

import pytest
import torch

import jupyter_dl as dl

from ..openapi import validate
from ..tracking.test_rest import Api
from .conftest import mlp


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


async def test_models_versions_aliases_and_history(api, example):
    dl.publish(mlp(0), "mlp", example_input=example, description="first")
    dl.publish(mlp(1), "mlp", example_input=example)
    page = await api.ok("GET", "models")
    validate(page, "ModelPage")
    assert [m["name"] for m in page["items"]] == ["mlp"]
    assert (await api.ok("GET", "models", params={"q": "zzz"}))["items"] == []
    model = await api.ok("GET", "models/mlp")
    validate(model, "Model")
    assert (model["versions"], model["aliases"][0]["alias"], model["aliases"][0]["version"]) == (
        2,
        "staging",
        2,
    )
    versions = await api.ok("GET", "models/mlp/versions")
    validate(versions, "ModelVersionPage")
    assert [v["version"] for v in versions["items"]] == [2, 1]
    first = await api.ok("GET", "models/mlp/versions/1")
    validate(first, "ModelVersion")
    assert first["description"] == "first"
    request = await api.ok("GET", "models/mlp/versions/1/example")
    validate(request, "InferRequest")
    assert request["inputs"][0]["shape"] == [3, 4]
    assert request["inputs"][0]["data"] == pytest.approx(example.flatten().tolist())

    moved = await api.ok("PUT", "models/mlp/aliases/production", {"version": 1})
    validate(moved, "Model")
    assert {a["alias"]: a["version"] for a in moved["aliases"]} == {"production": 1, "staging": 2}
    history = await api.ok("GET", "models/mlp/history")
    validate(history, "AliasEventPage")
    assert (history["items"][0]["alias"], history["items"][0]["version"]) == ("production", 1)

    code, error = await api.fail("DELETE", "models/mlp/versions/1")
    assert (code, error["code"]) == (409, "conflict")
    assert "'production'" in error["message"]
    await api.ok("DELETE", "models/mlp/aliases/production")
    await api.ok("DELETE", "models/mlp/versions/1", status=204)
    assert (await api.fail("GET", "models/mlp/versions/1"))[0] == 404
    assert (await api.fail("DELETE", "models/mlp"))[0] == 409  # version 2 is left

    patched = await api.ok("PATCH", "models/mlp", {"description": "an MLP"})
    assert patched["description"] == "an MLP"


async def test_bad_requests_change_nothing(api, example):
    dl.publish(mlp(0), "mlp", example_input=example)
    assert (await api.fail("GET", "models/nothing"))[0] == 404
    assert (await api.fail("GET", "models/mlp/versions/7"))[0] == 404
    assert (await api.fail("PUT", "models/mlp/aliases/production", {"version": 7}))[0] == 404
    assert (await api.fail("PUT", "models/mlp/aliases/production", {"v": 1}))[0] == 400
    assert (await api.fail("PUT", "models/mlp/aliases/latest", {"version": 1}))[0] == 400
    assert (await api.fail("PATCH", "models/mlp", {"owner": "me"}))[0] == 400
    assert (await api.fail("GET", "models", params={"limit": 0}))[0] == 400
    model = await api.ok("GET", "models/mlp")
    assert [a["alias"] for a in model["aliases"]] == ["staging"]


async def test_publish_the_model_a_run_kept(api, example, registry):
    with dl.init(project="p", name="kept") as run:
        dl.log_model(mlp(3), example)
        dl.log({"accuracy": 0.5})
    models = await api.ok("GET", f"runs/{run.id}/models")
    assert models == {"models": ["models/model"]}
    version = await api.ok(
        "POST",
        "models/from-run/versions",
        {"run_id": run.id, "aliases": ["production"]},
        status=201,
    )
    validate(version, "ModelVersion")
    assert (version["version"], version["aliases"], version["run_id"]) == (
        1,
        ["production"],
        run.id,
    )
    assert version["metrics"] == {"accuracy": 0.5}
    loaded = dl.load_model("from-run@production")
    assert torch.allclose(loaded(example), mlp(3).eval()(example), atol=1e-6)

    code, error = await api.fail(
        "POST", "models/other/versions", {"run_id": run.id, "artifact": "models/none"}
    )
    assert (code, error["message"]) == (404, f"run {run.id} has no model folder 'models/none'")
    kept = registry.tracking.artifacts_dir / run.id / "models" / "model" / "weights.safetensors"
    kept.write_bytes(kept.read_bytes()[:-8] + b"tampered")
    code, error = await api.fail("POST", "models/other/versions", {"run_id": run.id})
    assert code == 400
    assert "differ from its manifest (weights.safetensors)" in error["message"]
    assert (await api.fail("GET", "models/other"))[0] == 404
    assert (await api.fail("POST", "models/other/versions", {"run": run.id}))[0] == 400
