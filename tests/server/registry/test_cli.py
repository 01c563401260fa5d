"""``jupyter dl serve | deployments | stop | models`` as people type them."""

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import torch

import jupyter_dl as dl
from jupyter_dl import api

from .conftest import mlp

JUPYTER_DL = str(Path(sys.executable).parent / "jupyter-dl")


def cli(*args, timeout=120):
    return subprocess.run(
        [JUPYTER_DL, *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


@pytest.fixture
def published(registry, example):
    dl.publish(mlp(0), "mlp", example_input=example, aliases=["production"])
    yield
    deployments = api.deployment_service()
    for deployment in deployments.list(status="live").items:
        deployments.stop(deployment["id"], grace=5)


def ready(url):
    with urllib.request.urlopen(url + "/v2/health/ready", timeout=10) as response:
        return response.status == 200


def test_models_serve_detached_list_and_stop(published):
    assert cli("models").stdout.strip() == "mlp  1 version(s)  production→v1"
    started = cli("serve", "mlp@production", "--detach", "--port", "0")
    assert started.returncode == 0, started.stderr
    deployment_id, url = re.match(r"(\w+): serving mlp v1 at (\S+)", started.stdout).groups()
    assert ready(url)
    listed = cli("deployments").stdout
    assert f"{deployment_id}  running   mlp v1 (mlp@production)  {url}" in listed
    stopped = cli("stop", deployment_id)
    assert stopped.stdout.strip() == f"{deployment_id}: stopped"
    assert cli("deployments").stdout.startswith("no live deployments")
    assert f"{deployment_id}  stopped" in cli("deployments", "--all").stdout


def test_a_foreground_server_is_recorded_and_stops_on_ctrl_c(published):
    server = subprocess.Popen(
        [JUPYTER_DL, "serve", "mlp", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline()
        url = re.search(r"at (\S+)", line).group(1)
        assert ready(url)
        (live,) = api.deployment_service().list(status="live").items
        live = api.deployment_service().wait_ready(live["id"], timeout=10)
        assert (live["status"], live["url"], live["pid"]) == ("running", url, server.pid)
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
    finally:
        server.kill()
    assert api.deployment_service().get(live["id"])["status"] == "stopped"


def test_a_package_folder_serves_without_a_store(registry, example, tmp_path):
    version = dl.publish(mlp(0), "mlp", example_input=example)
    package = registry.package_dir(version)
    server = subprocess.Popen(
        [JUPYTER_DL, "serve", "--package", str(package), "--name", "mlp", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "JUPYTER_DL_DB_URL": f"sqlite:///{tmp_path}/absent/dl.sqlite"},
    )
    try:
        url = re.search(r"at (\S+)", server.stdout.readline()).group(1)
        body = {
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [0.0] * 4}]
        }
        request = urllib.request.Request(
            url + "/v2/models/mlp/infer", json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            outputs = json.loads(response.read())["outputs"]
        expected = mlp(0).eval()(torch.zeros(1, 4))
        assert outputs[0]["data"] == pytest.approx(expected.flatten().tolist(), abs=1e-5)
    finally:
        server.terminate()
        server.wait(30)
    assert not (tmp_path / "absent").exists()


def test_mistakes_are_one_line_and_change_nothing(published):
    result = cli("serve", "nothing@production")
    assert (result.returncode, result.stderr) == (
        1,
        "jupyter dl serve: no model named 'nothing'\n",
    )
    result = cli("serve", "mlp", "--max-batch-size", "0")
    assert result.stderr == "jupyter dl serve: max_batch_size must be between 1 and 65536, not 0\n"
    assert cli("stop", "abcdef123456").stderr == (
        "jupyter dl stop: no deployment with id 'abcdef123456'\n"
    )
    assert api.deployment_service().list().items == []
