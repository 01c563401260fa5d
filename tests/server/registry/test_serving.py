"""The inference server: Open Inference Protocol routes, micro-batching, errors, metrics.

Each test runs a real server on a free port (in a thread, or a process for
``serve``) and talks HTTP to it; the model is a numpy function that doubles its
input and records the rows of every batch it is given.
"""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pytest
import requests

from jupyter_dl.registry.serving import InferenceServer, ServedModel
from jupyter_dl.registry.signature import Signature, TensorSpec

SIGNATURE = Signature((TensorSpec("x", "FP32", (-1, 4)),), (TensorSpec("y", "FP32", (-1, 4)),))
EXPECTED = "x: FP32[-1, 4] -> y: FP32[-1, 4]"


class Doubler:
    """``y = 2x``; records each batch's rows; fails on negative input.

    With ``hold``, every call waits until ``release`` is set, so a test can keep
    the model busy while more requests queue up behind it.
    """

    def __init__(self, hold=False):
        self.batches = []
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, inputs):
        x = inputs["x"]
        self.batches.append(len(x))
        self.entered.set()
        assert self.release.wait(30)
        if (x < 0).any():
            raise ValueError("negative input")
        return {"y": x * 2}


@contextmanager
def running(predict, signature=SIGNATURE, **knobs):
    """A listening server for ``predict``; its base URL and the server."""
    model = ServedModel("doubler", "3", signature, predict)
    server = InferenceServer(model, "127.0.0.1", 0, **knobs)
    ready = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(server.run(on_ready=lambda _: ready.set())), daemon=True
    )
    thread.start()
    assert ready.wait(30), "the server did not start"
    try:
        yield server.url, server
    finally:
        server.stop()
        thread.join(30)


def body(rows, **extra):
    data = [[float(r * 4 + c) for c in range(4)] for r in rows]
    return {
        "inputs": [{"name": "x", "shape": [len(rows), 4], "datatype": "FP32", "data": data}],
        **extra,
    }


def infer(url, rows, path="/v2/models/doubler/infer", **extra):
    return requests.post(url + path, json=body(rows, **extra), timeout=30)


def wait_until(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_server_and_model_metadata():
    with running(Doubler()) as (url, _):
        assert requests.get(url + "/v2").json()["name"] == "jupyter-dl"
        assert requests.get(url + "/v2/health/live").json() == {"live": True}
        ready = requests.get(url + "/v2/health/ready")
        assert (ready.status_code, ready.json()) == (200, {"ready": True})
        metadata = {
            "name": "doubler",
            "versions": ["3"],
            "platform": "pytorch",
            "inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 4]}],
            "outputs": [{"name": "y", "datatype": "FP32", "shape": [-1, 4]}],
        }
        assert requests.get(url + "/v2/models/doubler").json() == metadata
        assert requests.get(url + "/v2/models/doubler/versions/3").json() == metadata
        model_ready = requests.get(url + "/v2/models/doubler/ready").json()
        assert model_ready == {"name": "doubler", "ready": True}


def test_infer_answers_with_the_models_outputs():
    with running(Doubler()) as (url, _):
        for path in ("/v2/models/doubler/infer", "/v2/models/doubler/versions/3/infer"):
            response = infer(url, [0, 1], path, id="req-7")
            assert response.status_code == 200, response.text
            assert response.json() == {
                "model_name": "doubler",
                "model_version": "3",
                "id": "req-7",
                "outputs": [
                    {
                        "name": "y",
                        "datatype": "FP32",
                        "shape": [2, 4],
                        "data": [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0],
                    }
                ],
            }


def test_inputs_as_binary_data_after_the_json():
    header = json.dumps(
        {
            "inputs": [
                {
                    "name": "x",
                    "shape": [1, 4],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": 16},
                }
            ]
        }
    ).encode()
    raw = np.array([1, 2, 3, 4], "<f4").tobytes()
    with running(Doubler()) as (url, _):
        response = requests.post(
            url + "/v2/models/doubler/infer",
            data=header + raw,
            headers={"Inference-Header-Content-Length": str(len(header))},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert response.json()["outputs"][0]["data"] == [2.0, 4.0, 6.0, 8.0]
        for length in ("9999", "ten"):
            bad = requests.post(
                url + "/v2/models/doubler/infer",
                data=header + raw,
                headers={"Inference-Header-Content-Length": length},
                timeout=30,
            )
            assert bad.status_code == 400
            assert "Inference-Header-Content-Length" in bad.json()["error"]


def send_while_busy(url, server, model, first, queued):
    """Send ``first`` and hold the model on it; queue ``queued`` behind; release; responses."""
    with ThreadPoolExecutor(len(queued) + 1) as pool:
        head = pool.submit(infer, url, first)
        assert model.entered.wait(30)
        rest = [pool.submit(infer, url, rows) for rows in queued]
        wait_until(lambda: server.inference.in_flight == len(queued) + 1)
        model.release.set()
        return [f.result() for f in [head, *rest]]


def test_concurrent_requests_are_predicted_as_one_batch():
    model = Doubler(hold=True)
    with running(model, max_batch_size=32) as (url, server):
        queued = [[1], [2, 3], [4]]
        responses = send_while_busy(url, server, model, [0], queued)
        assert model.batches == [1, 4]
        for rows, response in zip([[0], *queued], responses, strict=True):
            expected = (np.array(body(rows)["inputs"][0]["data"]) * 2).ravel().tolist()
            assert response.json()["outputs"][0]["data"] == expected
        metrics = requests.get(url + "/metrics").text
        assert 'dl_serving_batch_size_count{model="doubler",version="3"} 2.0' in metrics
        assert 'dl_serving_batch_size_sum{model="doubler",version="3"} 5.0' in metrics


def test_batches_hold_at_most_max_batch_size_rows():
    model = Doubler(hold=True)
    with running(model, max_batch_size=2) as (url, server):
        responses = send_while_busy(url, server, model, [0], [[1], [2], [3]])
        assert [r.status_code for r in responses] == [200] * 4
        assert model.batches == [1, 2, 1]
        assert infer(url, [4, 5, 6]).status_code == 200  # larger than a batch: predicted alone
        assert model.batches[-1] == 3


def test_rows_of_different_shapes_are_batched_apart():
    """A -1 beyond the batch dimension (sequences of any length) never mixes lengths."""
    signature = Signature((TensorSpec("x", "FP32", (-1, -1)),), (TensorSpec("y", "FP32", (-1,)),))
    lengths = []
    release = threading.Event()

    def total(inputs):
        lengths.append(inputs["x"].shape)
        assert release.wait(30)
        return {"y": inputs["x"].sum(axis=1)}

    def send(url, row):
        data = {"inputs": [{"name": "x", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}
        return requests.post(url + "/v2/models/doubler/infer", json=data, timeout=30)

    with running(total, signature) as (url, server), ThreadPoolExecutor(4) as pool:
        first = pool.submit(send, url, [1])
        wait_until(lambda: len(lengths) == 1)
        rest = [pool.submit(send, url, row) for row in ([1, 2], [1, 2, 3], [3, 4])]
        wait_until(lambda: server.inference.in_flight == 4)
        release.set()
        answers = [f.result().json()["outputs"][0]["data"] for f in [first, *rest]]
    assert answers == [[1.0], [3.0], [6.0], [7.0]]
    assert sorted(lengths) == [(1, 1), (1, 3), (2, 2)]  # the two rows of length 2 together


def test_a_lone_request_is_answered_when_max_wait_passes():
    model = Doubler()
    with running(model, max_wait_ms=50) as (url, _):
        assert infer(url, [0]).status_code == 200
        assert model.batches == [1]


def test_max_wait_gathers_requests_that_arrive_while_it_waits():
    model = Doubler()
    with running(model, max_batch_size=3, max_wait_ms=60_000) as (url, _):
        with ThreadPoolExecutor(3) as pool:
            responses = list(pool.map(lambda r: infer(url, [r]), range(3)))
        assert [r.status_code for r in responses] == [200] * 3
        assert model.batches == [3]  # sent as soon as the batch was full


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not json", "the body is not JSON"),
        (
            {"inputs": [{"name": "x", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]},
            "shape [1, 3]",
        ),
        (
            {"inputs": [{"name": "x", "shape": [1, 4], "datatype": "INT32", "data": [1, 2, 3, 4]}]},
            "'INT32'",
        ),
        ({"inputs": []}, "missing input 'x'"),
        (
            {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": [1, 2]}]},
            "2 values",
        ),
    ],
)
def test_bad_input_is_400_naming_the_signature(data, message):
    model = Doubler()
    with running(model) as (url, _):
        payload = data if isinstance(data, bytes) else json.dumps(data).encode()
        response = requests.post(url + "/v2/models/doubler/infer", data=payload, timeout=30)
        assert response.status_code == 400
        error = response.json()["error"]
        assert message in error
        assert EXPECTED in error
        assert model.batches == []


def test_unknown_model_or_version_is_404():
    model = Doubler()
    with running(model) as (url, _):
        other = infer(url, [0], "/v2/models/other/infer")
        assert other.status_code == 404
        assert other.json() == {
            "error": "model 'other' is not served here; this server serves 'doubler'"
        }
        version = infer(url, [0], "/v2/models/doubler/versions/9/infer")
        assert version.status_code == 404
        assert "no version '9'" in version.json()["error"]
        assert requests.get(url + "/v2/models/other").status_code == 404
        assert requests.get(url + "/v2/models/doubler/versions/9/ready").status_code == 404
        assert "error" in requests.get(url + "/v2/elsewhere").json()
        assert model.batches == []


def test_a_failing_model_answers_500_and_the_server_stays_up():
    with running(Doubler()) as (url, _):
        failed = infer(url, [-1])
        assert failed.status_code == 500
        assert failed.json() == {"error": "model 'doubler' failed: ValueError: negative input"}
        assert infer(url, [1]).status_code == 200


def test_a_failing_request_does_not_fail_the_others_in_its_batch():
    model = Doubler(hold=True)
    with running(model) as (url, server):
        responses = send_while_busy(url, server, model, [0], [[1], [-1], [2]])
        assert [r.status_code for r in responses] == [200, 200, 500, 200]


def test_outputs_that_break_the_signature_are_500():
    with running(lambda inputs: {"y": np.zeros((len(inputs["x"]), 3))}) as (url, _):
        response = infer(url, [0])
        assert response.status_code == 500
        assert "shape [1, 3], but its signature is " + EXPECTED in response.json()["error"]


def test_metrics_count_requests_latency_batches_and_errors():
    with running(Doubler()) as (url, _):
        infer(url, [0])
        infer(url, [0], "/v2/models/other/infer")
        requests.post(url + "/v2/models/doubler/infer", data=b"{}", timeout=30)
        response = requests.get(url + "/metrics")
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.text
        labels = 'model="doubler",version="3"'
        for line in (
            f'dl_serving_requests_total{{code="200",{labels}}} 1.0',
            f'dl_serving_requests_total{{code="404",{labels}}} 1.0',
            f'dl_serving_requests_total{{code="400",{labels}}} 1.0',
            f'dl_serving_errors_total{{kind="bad_request",{labels}}} 1.0',
            f'dl_serving_errors_total{{kind="not_found",{labels}}} 1.0',
            f"dl_serving_request_duration_seconds_count{{{labels}}} 3.0",
            f"dl_serving_batch_size_count{{{labels}}} 1.0",
            f"dl_serving_in_flight_requests{{{labels}}} 0.0",
        ):
            assert line in text, line


def test_stop_lets_requests_in_flight_finish():
    model = Doubler(hold=True)
    with running(model) as (url, server), ThreadPoolExecutor(1) as pool:
        pending = pool.submit(infer, url, [0])
        assert model.entered.wait(30)
        server.stop()
        wait_until(lambda: not server.inference.ready)
        model.release.set()
        assert pending.result().status_code == 200


SERVE = """
import sys
import numpy as np
from jupyter_dl.registry.serving import ServedModel, serve
from jupyter_dl.registry.signature import Signature, TensorSpec

signature = Signature((TensorSpec("x", "FP32", (-1, 4)),), (TensorSpec("y", "FP32", (-1, 4)),))
model = ServedModel("doubler", "3", signature, lambda inputs: {"y": inputs["x"] * 2})
serve(model, "127.0.0.1", 0, ready_file=sys.argv[1], on_ready=lambda url: print("ready", url))
"""


def test_serve_announces_where_it_listens_and_drains_on_sigterm(tmp_path):
    ready_file = tmp_path / "deployment" / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(ready_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        called = process.stdout.readline().strip()  # on_ready comes first
        line = process.stdout.readline().strip()
        assert line.startswith("serving doubler v3 at http://127.0.0.1:"), line
        url = line.rsplit(" ", 1)[1]
        assert called == f"ready {url}"
        ready = json.loads(ready_file.read_text())
        assert ready == {"url": url, "pid": process.pid, "model": "doubler", "version": "3"}
        assert infer(url, [1]).json()["outputs"][0]["data"] == [8.0, 10.0, 12.0, 14.0]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        assert "stopped serving doubler v3" in process.stderr.read()
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
