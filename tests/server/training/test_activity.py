"""A server whose only work is a detached job or sweep still reports itself active.

JupyterHub's idle culler reads the activity a server reports, which jupyter-server
takes from ``web_app.last_activity()``; these tests read that same value on a real
server with the extension, under the environment JupyterHub gives its servers.
"""

import asyncio
import logging
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest

from jupyter_dl.activity import ACTIVITY_SETTING
from jupyter_dl.processes import create_time
from jupyter_dl.store import Store
from jupyter_dl.training.sweeps import NewSweep, SweepService

from .conftest import function_job, wait, wait_for

HUB_ENV = {"JUPYTERHUB_API_TOKEN": "secret", "JUPYTERHUB_API_URL": "http://127.0.0.1:9/hub/api"}


@pytest.fixture
def interval():
    """Seconds between the extension's own checks: an hour, so that only the test's
    checks run, unless a test asks otherwise."""
    return 3600


@pytest.fixture
def hub_env(request, monkeypatch):
    """The environment JupyterHub gives the servers it spawns, unless a test asks for
    another (``{}``: a server started without a hub)."""
    environment = getattr(request, "param", HUB_ENV)
    for name in HUB_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def shutdown_timeout():
    """``ServerApp.shutdown_no_activity_timeout``: a server that stops itself when idle."""
    return 0


@pytest.fixture
def jp_server_config(hub_env, store_url, interval, shutdown_timeout):
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_dl": True},
            "shutdown_no_activity_timeout": shutdown_timeout,
        },
        "JupyterDL": {"db_url": store_url, "activity_interval": interval},
    }


async def started(serverapp):
    """The server's web application once its extensions have started, as a running
    server starts them when its event loop begins (the test fixture does not), with
    the store open."""
    await serverapp.extension_manager.start_all_extensions()
    serverapp.web_app.settings["dl_store"].wait(30)
    return serverapp.web_app


def now():
    return datetime.now(timezone.utc)


async def test_a_running_job_keeps_the_server_active(jp_serverapp, service):
    web_app = await started(jp_serverapp)
    keeper = web_app.settings["dl_activity"]
    job = service.launch(function_job(time.sleep, 600, nproc=1))
    wait_for(lambda: service.get_job(job["id"])["status"] == "running", what="the job to run")
    before = now()
    assert await keeper.check() == f"job {job['id']} ({job['name']})"
    assert web_app.last_activity() >= before

    service.cancel(job["id"], grace=5)
    assert wait(service, job["id"])["status"] == "cancelled"
    last = web_app.last_activity()
    assert await keeper.check() is None
    # Idleness counts from the last check that saw the job.
    assert web_app.last_activity() == last


async def test_an_idle_server_reports_only_its_own_activity(jp_serverapp):
    web_app = await started(jp_serverapp)
    assert await web_app.settings["dl_activity"].check() is None
    assert ACTIVITY_SETTING not in web_app.settings
    assert web_app.last_activity() == web_app.settings["started"]


async def test_a_sweep_counts_while_its_coordinator_lives(jp_serverapp, store_url):
    web_app = await started(jp_serverapp)
    keeper = web_app.settings["dl_activity"]
    store = Store(store_url).open()
    coordinator = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        new = NewSweep("lr", "p", "loss", "min", None, "random", {}, 4, 1, "local")
        new.pid, new.pid_started_at = coordinator.pid, create_time(coordinator.pid)
        sweep = SweepService(store).create(new)
        before = now()
        assert await keeper.check() == f"sweep {sweep['id']} (lr)"
        assert web_app.last_activity() >= before
    finally:
        coordinator.kill()
        coordinator.wait()
    # A sweep whose coordinator died is ended, and keeps nothing alive.
    assert await keeper.check() is None
    store.close()


@pytest.mark.parametrize("interval", [0.2])
async def test_the_server_checks_by_itself_under_jupyterhub(jp_serverapp, service, interval):
    web_app = await started(jp_serverapp)
    assert web_app.settings["dl_activity"].interval == interval
    job = service.launch(function_job(time.sleep, 600, nproc=1))
    launched = now()
    for _ in range(600):
        if web_app.last_activity() > launched:
            break
        await asyncio.sleep(0.1)
    service.cancel(job["id"], grace=5)
    assert web_app.settings[ACTIVITY_SETTING] > launched


@pytest.mark.parametrize(
    ("hub_env", "shutdown_timeout", "interval", "checks"),
    [({}, 0, 3600, False), ({}, 600, 3600, True), (HUB_ENV, 0, 0, False)],
    ids=["no hub", "shuts down when idle", "turned off"],
    indirect=["hub_env"],
)
async def test_checks_only_where_idleness_is_judged(jp_serverapp, checks):
    web_app = await started(jp_serverapp)
    assert ("dl_activity" in web_app.settings) == checks


async def test_a_failing_check_is_logged_and_changes_nothing(jp_serverapp, monkeypatch, caplog):
    web_app = await started(jp_serverapp)
    keeper = web_app.settings["dl_activity"]

    def broken():
        raise OSError("database is locked")

    monkeypatch.setattr(keeper.work.training, "active_here", broken)
    with caplog.at_level(logging.WARNING):
        assert await keeper.check() is None
    assert "could not look for running jobs: OSError: database is locked" in caplog.text
    assert ACTIVITY_SETTING not in web_app.settings
