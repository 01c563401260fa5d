"""Profiles on a real embedded hub, driven through its REST API and spawn page.

The hub runs with ``CUDA_VISIBLE_DEVICES=""``, so it has no GPU to give whatever
machine runs the tests; GPU assignment itself is tested with a simulated
machine in test_profiles.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

from .running_hub import RunningHub, hub_running

SERVER_TIMEOUT = 30


@pytest.fixture(scope="module")
def gpu_less_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    with hub_running(tmp_path_factory.mktemp("hub"), CUDA_VISIBLE_DEVICES="") as running:
        yield running


def _server(hub: RunningHub, name: str) -> dict[str, Any] | None:
    server: dict[str, Any] | None = hub.api("GET", f"users/{name}").json()["servers"].get("")
    return server


def _start(hub: RunningHub, name: str, user_options: dict[str, Any]) -> Any:
    assert hub.api("POST", f"users/{name}").status_code == 201
    # Long enough for the server to start, on a slow machine too.
    return hub.api("POST", f"users/{name}/server", json=user_options, timeout=SERVER_TIMEOUT)


def _wait_until_ready(hub: RunningHub, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + SERVER_TIMEOUT
    while time.monotonic() < deadline:
        server = _server(hub, name)
        if server and server["ready"]:
            return server
        time.sleep(0.3)
    raise AssertionError(f"{name}'s server not ready after {SERVER_TIMEOUT}s:\n{hub.log()}")


def test_cpu_profile_starts_a_server_that_sees_no_gpu(gpu_less_hub: RunningHub) -> None:
    response = _start(gpu_less_hub, "carol", {"profile": "cpu"})
    assert response.status_code in (201, 202), response.text
    server = _wait_until_ready(gpu_less_hub, "carol")
    assert server["user_options"] == {"profile": "cpu"}
    # What JupyterHub keeps in its database for a restart: the profile, no GPUs.
    state = server["state"]
    assert state["profile"] == "cpu"
    assert "gpus" not in state
    environment = psutil.Process(state["pid"]).environ()
    assert environment["CUDA_VISIBLE_DEVICES"] == ""


@pytest.mark.parametrize(
    ("user_options", "message"),
    [
        ({"profile": "everything"}, "There is no profile 'everything'. Choose one of 'cpu' (CPU)"),
        ({"profile": "cpu", "gpus": 8}, "Unknown server option 'gpus'"),
        (
            {"profile": "1-gpu"},
            "Cannot start a '1 GPU' server. It needs 1 GPU, but this machine has no GPU.",
        ),
    ],
    ids=["forged-profile", "forged-resource", "gpu-without-gpus"],
)
def test_refused_choice_is_a_400_that_says_why(
    gpu_less_hub: RunningHub, user_options: dict[str, Any], message: str
) -> None:
    name = f"mallory-{len(gpu_less_hub.api('GET', 'users').json())}"
    response = _start(gpu_less_hub, name, user_options)
    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    assert _server(gpu_less_hub, name) is None


def test_spawn_page_offers_the_profiles(gpu_less_hub: RunningHub) -> None:
    browser, status = gpu_less_hub.login("demo", gpu_less_hub.password)
    assert status == 302
    page = browser.get(gpu_less_hub.url + "hub/spawn", timeout=10)
    assert page.status_code == 200
    assert page.url.endswith("/hub/spawn")
    assert "This machine has no GPU for servers." in page.text
    assert 'name="profile" id="profile-cpu" value="cpu" checked>' in page.text
    assert 'value="1-gpu" disabled>' in page.text
    assert "<strong>4 GPUs</strong>" in page.text
