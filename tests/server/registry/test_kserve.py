"""A model version as a KServe InferenceService: built, checked offline, submitted on a cluster."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import jupyter_dl as dl
from jupyter_dl.errors import BadRequest
from jupyter_dl.kube import options as kube_options
from jupyter_dl.kube.validate import KUBERNETES_VERSION, core_problems, problems
from jupyter_dl.registry.kserve import CUSTOM, inference_service, service_name

from ..tracking.test_rest import Api
from .conftest import mlp

IMAGE = "registry.example.org/team/jupyter-dl:0.1.0"
JUPYTER_DL = str(Path(sys.executable).parent / "jupyter-dl")


@pytest.fixture(autouse=True)
def outside_a_cluster(monkeypatch, tmp_path):
    for name in ("JUPYTER_IMAGE", "JUPYTER_IMAGE_SPEC", "POD_NAMESPACE", "JUPYTER_DL_MODELS_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(kube_options, "NAMESPACE_FILE", tmp_path / "no-namespace-file")


@pytest.fixture
def version(registry, example):
    return dl.publish(mlp(), "Fraud.Model_2", example_input=example, aliases=["production"])


def test_a_cpu_service_runs_the_platform_server_on_the_package(registry, version):
    manifest = inference_service(registry, "Fraud.Model_2", 1, {"image": IMAGE})
    assert problems(manifest, CUSTOM) == []
    assert manifest["metadata"]["name"] == "fraud-model-2-v1"
    assert manifest["metadata"]["namespace"] == "default"
    predictor = manifest["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (1, 1)
    (container,) = predictor["containers"]
    assert container["name"] == "kserve-container"
    assert container["image"] == IMAGE
    assert container["args"][:8] == [
        "jupyter-dl",
        "serve",
        "--package",
        "/mnt/models",
        "--name",
        "Fraud.Model_2",
        "--model-version",
        "1",
    ]
    assert container["env"] == [
        {"name": "STORAGE_URI", "value": f"pvc://jupyter-dl-models/{version['path']}"}
    ]
    assert container["readinessProbe"]["httpGet"] == {"path": "/v2/health/ready", "port": 8080}
    assert "resources" not in container


def test_a_gpu_service_asks_for_its_gpus_where_they_are(registry, version):
    options = {
        "image": IMAGE,
        "namespace": "team-a",
        "storage_uri": "s3://models/registry/",
        "gpus": 2,
        "cpu": "4",
        "memory": "16Gi",
        "min_replicas": 0,
        "max_replicas": 3,
        "node_selector": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "service_account": "model-reader",
    }
    manifest = inference_service(registry, "Fraud.Model_2", 1, options)
    assert problems(manifest, CUSTOM) == []
    predictor = manifest["spec"]["predictor"]
    (container,) = predictor["containers"]
    assert container["resources"] == {
        "requests": {"cpu": "4", "memory": "16Gi"},
        "limits": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "2"},
    }
    assert container["args"][-2:] == ["--device", "cuda"]
    assert container["env"][0]["value"] == f"s3://models/registry/{version['path']}"
    assert predictor["nodeSelector"] == options["node_selector"]
    assert predictor["tolerations"] == options["tolerations"]
    assert predictor["serviceAccountName"] == "model-reader"
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (0, 3)
    # The predictor's pod is what Kubernetes itself would accept.
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {k: v for k, v in predictor.items() if k not in ("minReplicas", "maxReplicas")},
    }
    assert core_problems(pod) == [], KUBERNETES_VERSION


def test_the_offline_check_catches_what_the_cluster_would_refuse(registry, version):
    manifest = inference_service(registry, "Fraud.Model_2", 1, {"image": IMAGE})
    manifest["spec"]["predictor"]["containers"][0]["ports"][0]["containerPort"] = "eighty"
    manifest["spec"]["predictor"]["scaleMetric"] = "gpu"
    assert problems(manifest, CUSTOM) == [
        "InferenceService/fraud-model-2-v1: spec.predictor.scaleMetric: 'gpu' is not one of"
        " ['cpu', 'memory', 'concurrency', 'rps']",
        "InferenceService/fraud-model-2-v1: spec.predictor (as a pod).spec.containers[0]"
        ".ports[0].containerPort: 'eighty' is not of type 'integer'",
    ]
    manifest = inference_service(registry, "Fraud.Model_2", 1, {"image": IMAGE})
    manifest["spec"]["predictor"]["minReplica"] = 1  # misspelt: the pod has no such field
    (found,) = problems(manifest, CUSTOM)
    assert "minReplica" in found
    manifest = inference_service(registry, "Fraud.Model_2", 1, {"image": IMAGE})
    manifest["spec"]["predictor"]["containers"][0]["name"] = "server"
    assert problems(manifest, CUSTOM) == [
        "InferenceService/fraud-model-2-v1: spec.predictor.containers: needs exactly one"
        " container named 'kserve-container'"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "needs an image with jupyter-dl installed"),
        ({"image": IMAGE, "gpus": -1}, "gpus must be a whole number >= 0"),
        ({"image": IMAGE, "namespace": "Team A"}, "namespace must be a Kubernetes name"),
        ({"image": IMAGE, "memory": "lots"}, "memory must be a Kubernetes quantity"),
        ({"image": IMAGE, "min_replicas": 3, "max_replicas": 2}, "is below min_replicas"),
        ({"image": IMAGE, "storage_uri": "models"}, "storage_uri must be a URI"),
        ({"image": IMAGE, "replicas": 2}, "unknown InferenceService options replicas"),
    ],
)
def test_bad_options_are_refused(registry, version, options, message):
    with pytest.raises(BadRequest, match=message):
        inference_service(registry, "Fraud.Model_2", 1, options)


def test_names_fit_kserve(registry):
    assert service_name("a" * 80, 12) == "a" * 41 + "-v12"
    assert service_name("3d-unet", 1) == "model-3d-unet-v1"
    assert re.match(r"^[a-z]([-a-z0-9]*[a-z0-9])?$", service_name("Ünïcode!!", 3))


def test_the_cli_prints_yaml_and_needs_a_cluster_to_apply(version, tmp_path):
    env = {**os.environ, "KUBECONFIG": str(tmp_path / "none")}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    printed = subprocess.run(
        [JUPYTER_DL, "kserve", "Fraud.Model_2@production", "--image", IMAGE, "--gpus", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    manifest = yaml.safe_load(printed.stdout)
    assert manifest["kind"] == "InferenceService"
    assert (
        manifest["spec"]["predictor"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
        == "1"
    )
    applied = subprocess.run(
        [JUPYTER_DL, "kserve", "Fraud.Model_2", "--image", IMAGE, "--apply"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert applied.returncode == 1
    assert applied.stderr.startswith("jupyter dl kserve: no Kubernetes cluster is configured")


@pytest.fixture
def rest(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


async def test_over_rest(rest, version, monkeypatch, tmp_path):
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    body = await rest.ok(
        "POST",
        "models/Fraud.Model_2/versions/1/inferenceservice",
        {"image": IMAGE, "gpus": 1},
    )
    assert body["applied"] is None
    assert yaml.safe_load(body["yaml"]) == body["manifest"]
    code, error = await rest.fail(
        "POST", "models/Fraud.Model_2/versions/1/inferenceservice", {"gpus": 1}
    )
    assert (code, error["code"]) == (400, "bad_request")
    code, error = await rest.fail(
        "POST",
        "models/Fraud.Model_2/versions/1/inferenceservice",
        {"image": IMAGE, "apply": True},
    )
    assert code == 409
    assert error["message"].startswith("no Kubernetes cluster is configured")


@pytest.mark.k8s
def test_submitted_to_a_cluster_with_kserve(registry, version):
    from jupyter_dl.registry.kserve import apply

    manifest = inference_service(
        registry, "Fraud.Model_2", 1, {"image": os.environ.get("JUPYTER_DL_K8S_IMAGE", IMAGE)}
    )
    created = apply(manifest)
    assert created["metadata"]["name"] == "fraud-model-2-v1"
