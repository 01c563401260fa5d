"""Deployments: a published version served by a detached process, tracked and stopped."""

import json
import socket
import urllib.request

import psutil
import pytest
import torch

import jupyter_dl as dl
from jupyter_dl import api
from jupyter_dl.errors import BadRequest, Conflict, LaunchFailed, NotFound

from ..openapi import validate
from ..tracking.test_rest import Api
from .conftest import mlp


@pytest.fixture
def deployments(registry):
    service = api.deployment_service()
    yield service
    for deployment in service.list(status="live").items:
        service.stop(deployment["id"], grace=5)


@pytest.fixture
def published(registry, example):
    model = mlp(0)
    dl.publish(model, "mlp", example_input=example, aliases=["production"])
    return model.eval()


def post_json(url, body):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def infer_body(x):
    return {
        "inputs": [
            {
                "name": "input",
                "datatype": "FP32",
                "shape": list(x.shape),
                "data": x.flatten().tolist(),
            }
        ]
    }


def test_a_deployment_serves_its_version_until_stopped(deployments, published):
    started = deployments.start("mlp@production", user="ana")
    assert (started["status"], started["version"], started["started_by"]) == ("starting", 1, "ana")
    running = deployments.wait_ready(started["id"])
    assert running["url"].startswith("http://127.0.0.1:")
    x = torch.randn(4, 4)
    code, body = post_json(running["url"] + "/v2/models/mlp/infer", infer_body(x))
    assert code == 200
    output = torch.tensor(body["outputs"][0]["data"]).reshape(body["outputs"][0]["shape"])
    assert torch.allclose(output, published(x), atol=1e-5)
    code, body = post_json(running["url"] + "/v2/models/mlp/infer", infer_body(torch.randn(2, 3)))
    assert code == 400
    assert "input: FP32[-1, 4]" in json.dumps(body)

    deployments.registry.delete_alias("mlp", "production")  # the server keeps its version
    with pytest.raises(Conflict, match=f"served by deployment {running['id']}: stop it first"):
        deployments.registry.delete_version("mlp", 1)
    pid = running["pid"]
    stopped = deployments.stop(running["id"])
    assert stopped["status"] == "stopped"
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    deployments.registry.delete_version("mlp", 1)


def test_a_dead_server_is_marked_failed(deployments, published):
    running = deployments.wait_ready(deployments.start("mlp")["id"])
    psutil.Process(running["pid"]).kill()
    psutil.Process(running["pid"]).wait(10)
    failed = deployments.get(running["id"])
    assert failed["status"] == "failed"
    assert "exited without recording why" in failed["error"]


def test_a_taken_port_fails_with_the_reason(deployments, published):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = deployments.start("mlp", port=port)
        with pytest.raises(LaunchFailed, match=f"cannot listen on 127.0.0.1:{port}"):
            deployments.wait_ready(started["id"])
    assert deployments.get(started["id"])["status"] == "failed"


@pytest.mark.parametrize(
    ("ref", "settings", "error", "message"),
    [
        ("nothing@production", {}, NotFound, "no model named 'nothing'"),
        ("mlp@staging", {}, NotFound, "has no alias 'staging'"),
        ("mlp", {"port": 70000}, BadRequest, "port must be between 0"),
        ("mlp", {"max_batch_size": 0}, BadRequest, "max_batch_size must be between 1"),
        ("mlp", {"max_wait_ms": -1}, BadRequest, "max_wait_ms must be between 0"),
        ("mlp", {"workers": 2}, BadRequest, "unknown deployment settings workers"),
    ],
)
def test_bad_deployments_start_nothing(deployments, published, ref, settings, error, message):
    with pytest.raises(error, match=message):
        deployments.start(ref, **settings)
    assert deployments.list().items == []


@pytest.fixture
def rest(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


async def test_deploy_try_and_watch_over_rest(rest, published, deployments):
    started = await rest.ok(
        "POST", "deployments", {"model": "mlp:1", "max_batch_size": 8}, status=201
    )
    validate(started, "Deployment")
    running = deployments.wait_ready(started["id"])
    assert running["settings"]["max_batch_size"] == 8
    request = await rest.ok("GET", "models/mlp/versions/1/example")
    answer = await rest.ok("POST", f"deployments/{running['id']}/infer", request)
    assert answer["model_name"] == "mlp"
    assert answer["outputs"][0]["shape"] == [3, 2]
    response = await rest.fetch("POST", f"deployments/{running['id']}/infer", {"inputs": []})
    assert response.code == 400  # the deployment's own answer, passed through
    metrics = await rest.ok("GET", f"deployments/{running['id']}/metrics")
    validate(metrics, "DeploymentMetrics")
    assert metrics["requests"] == {"200": 1.0, "400": 1.0}
    assert metrics["latency"]["count"] == 2
    assert metrics["batch_size"]["sum"] == 3
    page = await rest.ok("GET", "deployments", params={"status": "live"})
    validate(page, "DeploymentPage")
    assert [d["id"] for d in page["items"]] == [running["id"]]
    assert "serving mlp v1" in (await rest.ok("GET", f"deployments/{running['id']}/log"))["text"]
    stopped = await rest.ok("POST", f"deployments/{running['id']}/stop")
    assert stopped["status"] == "stopped"
    code, error = await rest.fail("POST", f"deployments/{running['id']}/infer", request)
    assert (code, error["message"]) == (409, f"deployment {running['id']} is stopped, not running")
    assert (await rest.fail("POST", "deployments", {"model": "mlp", "gpus": 1}))[0] == 400
    assert (await rest.fail("GET", "deployments/abcdef123456"))[0] == 404


def test_dl_deploy_predicts_from_the_notebook(registry, published):
    deployment = dl.deploy("mlp@production", max_batch_size=4)
    try:
        assert deployment.status == "running"
        x = torch.randn(3, 4, dtype=torch.float64)  # converted to the signature's FP32
        y = deployment.predict(x)
        assert y.shape == (3, 2)
        assert torch.allclose(torch.from_numpy(y), published(x.float()), atol=1e-5)
        assert deployment.predict(input=x.numpy()).shape == (3, 2)
        with pytest.raises(ValueError, match=r"input: FP32\[-1, 4\]"):
            deployment.predict(torch.randn(2, 5))
        assert deployment.metrics()["requests"] == {"200": 2.0, "400": 1.0}
        assert [d["id"] for d in dl.deployments()] == [deployment.id]
    finally:
        assert deployment.stop() == "stopped"
    with pytest.raises(ValueError, match="no model named 'other'"):
        dl.deploy("other")
