"""Idle culling on a real embedded hub: a server whose only work is a detached
training job is kept; once the job ends, it is culled.

The hub runs with a configuration file as an admin writes one, with a culling
timeout of seconds instead of an hour, so the test sees both within a minute.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import cloudpickle
import psutil
import pytest

from jupyter_dl.store import Store
from jupyter_dl.tracking.service import TrackingService
from jupyter_dl.training.service import JobRequest, TrainingService

from .running_hub import RunningHub, hub_running

USER = "carol"
CULL_TIMEOUT = 6
SERVER_TIMEOUT = 30
CONFIG = f"""
from jupyter_dl_hub.embedded import EmbeddedHub

c = get_config()  # noqa: F821
c.EmbeddedHub.cull_idle_timeout = {CULL_TIMEOUT}
c.EmbeddedHub.cull_every = 1
EmbeddedHub(config=c).apply(c)
"""


@pytest.fixture(scope="module")
def culling_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    root = tmp_path_factory.mktemp("culling-hub")
    config = root / "jupyterhub_config.py"
    config.write_text(CONFIG)
    with hub_running(root, "--config", str(config), CUDA_VISIBLE_DEVICES="") as running:
        yield running


@pytest.fixture
def training(culling_hub: RunningHub) -> Iterator[TrainingService]:
    """Jobs in the store the hub's servers use, as a kernel of one of them would launch."""
    store = Store(culling_hub.db_url).open()
    root = culling_hub.state_dir.parent
    service = TrainingService(store, root / "jobs", TrackingService(store, root / "artifacts"))
    yield service
    for job in service.list_jobs(status="active").items:
        service.cancel(job["id"], grace=5)
    store.close()


def server(hub: RunningHub, user: str) -> dict[str, Any] | None:
    servers: dict[str, Any] = hub.api("GET", f"users/{user}").json()["servers"]
    return servers.get("")


def wait_for(condition: Any, what: str, hub: RunningHub, timeout: float = SERVER_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}:\n{hub.log()}")


def test_the_culler_runs_as_a_hub_service_with_its_role(culling_hub: RunningHub) -> None:
    service = culling_hub.api("GET", "services/jupyterhub-idle-culler").json()
    assert service["roles"] == ["jupyterhub-idle-culler"]
    assert service["command"][:3] == [sys.executable, "-m", "jupyterhub_idle_culler"]
    assert f"--timeout={CULL_TIMEOUT}" in service["command"]
    assert psutil.Process(service["pid"]).is_running()


def test_a_server_is_kept_while_its_job_runs_and_culled_after(
    culling_hub: RunningHub, training: TrainingService
) -> None:
    payload = cloudpickle.dumps((time.sleep, (600,), {}))
    job = training.launch(
        JobRequest(kind="function", name="long", nproc=1, payload=payload, command=["sleep"])
    )
    assert culling_hub.api("POST", f"users/{USER}").status_code == 201
    started = culling_hub.api("POST", f"users/{USER}/server", timeout=SERVER_TIMEOUT)
    assert started.status_code in (201, 202)
    wait_for(lambda: (server(culling_hub, USER) or {}).get("ready"), "the server", culling_hub)

    # Twice the timeout with no request to the server: only the job keeps it.
    deadline = time.monotonic() + 2 * CULL_TIMEOUT
    while time.monotonic() < deadline:
        assert server(culling_hub, USER) is not None, culling_hub.log()
        time.sleep(0.5)
    kept = server(culling_hub, USER)
    assert kept is not None
    reported = datetime.fromisoformat(kept["last_activity"].replace("Z", "+00:00"))
    assert (datetime.now(timezone.utc) - reported).total_seconds() < CULL_TIMEOUT
    assert f"Culling server {USER}" not in culling_hub.log()

    training.cancel(job["id"], grace=5)
    wait_for(lambda: server(culling_hub, USER) is None, "the idle server's culling", culling_hub)
    assert f"Culling server {USER}" in culling_hub.log()
