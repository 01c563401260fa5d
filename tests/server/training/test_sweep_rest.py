"""The sweeps REST API through a real Jupyter server, checked against ``openapi.yaml``."""

import asyncio
import math
import os
import time

import optuna
import psutil
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

import jupyter_dl as dl
from jupyter_dl.store import Store
from jupyter_dl.training.sweeps import NewSweep, SweepService

from ..openapi import validate
from ..tracking.test_rest import Api
from .test_sweeps import sleepy

SPACE = {"x": {"type": "uniform", "low": 0.0, "high": 1.0}, "epochs": {"type": "fixed", "value": 3}}


@pytest.fixture
def api(server, http_server_client, jp_auth_header, jp_base_url):
    return Api(http_server_client, jp_base_url, jp_auth_header)


@pytest.fixture
def service(store_url):
    store = Store(store_url).open()
    yield SweepService(store)
    store.close()


def recorded(service, name="search", mode="min"):
    """A sweep recorded as this process's, and its study to add trials to."""
    pid = os.getpid()
    record = service.create(
        NewSweep(
            name,
            "mnist",
            "loss",
            mode,
            "asha",
            "tpe",
            SPACE,
            4,
            2,
            "local",
            owner="ada",
            pid=pid,
            pid_started_at=psutil.Process(pid).create_time(),
        )
    )
    study = optuna.load_study(study_name="sweep", storage=service.storage(record["id"]))
    return record, study


def trial(study, x, run_id):
    made = study.ask({"x": FloatDistribution(0, 1)})
    made.set_user_attr("run_id", run_id)
    return made


async def test_sweeps_are_listed_newest_first_by_page(api, service):
    assert await api.ok("GET", "sweeps") == {"items": [], "next_cursor": None}
    ids = []
    for name in ("first", "second", "third"):
        ids.append(recorded(service, name)[0]["id"])
        time.sleep(0.01)
    page = await api.ok("GET", "sweeps", params={"limit": 2})
    validate(page, "SweepPage")
    assert [s["id"] for s in page["items"]] == ids[:0:-1]
    rest = await api.ok("GET", "sweeps", params={"limit": 2, "cursor": page["next_cursor"]})
    assert ([s["id"] for s in rest["items"]], rest["next_cursor"]) == ([ids[0]], None)
    sweep = page["items"][0]
    assert sweep["counts"] == {"running": 0, "complete": 0, "pruned": 0, "failed": 0}
    assert (sweep["status"], sweep["best"], sweep["space"]) == ("running", None, SPACE)
    assert (sweep["owner"], sweep["project"], sweep["pruner"]) == ("ada", "mnist", "asha")


async def test_a_sweep_and_its_trials_in_every_state(api, service):
    record, study = recorded(service)
    done = trial(study, 0.2, "run0")
    for step, value in enumerate([0.9, 0.5, 0.3]):
        done.report(value, step)
    study.tell(done, 0.3)
    pruned = trial(study, 0.8, "run1")
    pruned.report(math.inf, 0)
    study.tell(pruned, state=TrialState.PRUNED)
    failed = trial(study, 0.5, "run2")
    failed.set_user_attr("error", "Traceback ...\nValueError: no")
    study.tell(failed, state=TrialState.FAIL)
    trial(study, 0.1, "run3")  # still running

    sweep = await api.ok("GET", f"sweeps/{record['id']}")
    validate(sweep, "SweepDetail")
    assert sweep["counts"] == {"running": 1, "complete": 1, "pruned": 1, "failed": 1}
    assert sweep["best"] == {
        "number": 0,
        "value": 0.3,
        "params": {"x": done.params["x"]},
        "run_id": "run0",
    }
    trials = sweep["trials"]
    assert [t["state"] for t in trials] == ["complete", "pruned", "failed", "running"]
    assert [t["run_id"] for t in trials] == ["run0", "run1", "run2", "run3"]
    assert trials[0]["intermediate"] == [[0, 0.9], [1, 0.5], [2, 0.3]]
    assert trials[1]["intermediate"] == [[0, "Infinity"]]
    assert trials[1]["value"] == "Infinity"  # a pruned trial keeps its last report
    assert (trials[2]["value"], trials[2]["error"]) == (None, "Traceback ...\nValueError: no")
    assert trials[3]["ended_at"] is None
    assert trials[3]["duration"] >= 0
    assert trials[0]["duration"] >= 0
    assert trials[0]["started_at"] <= trials[0]["ended_at"]


async def test_a_finished_sweep_and_bad_requests(api, service):
    record, study = recorded(service, mode="max")
    for x in (0.2, 0.7):
        made = trial(study, x, f"r{x}")
        study.tell(made, x * 10)
    service.finish(record["id"], "finished")
    sweep = await api.ok("GET", f"sweeps/{record['id']}")
    validate(sweep, "SweepDetail")
    assert (sweep["status"], sweep["mode"], sweep["best"]["number"]) == ("finished", "max", 1)
    assert sweep["ended_at"] is not None
    listed = (await api.ok("GET", "sweeps"))["items"][0]
    assert listed["counts"] == {"running": 0, "complete": 2, "pruned": 0, "failed": 0}
    again = await api.ok("POST", f"sweeps/{record['id']}/cancel")  # an ended sweep stays
    assert again["status"] == "finished"

    code, error = await api.fail("GET", "sweeps/abcdef123456")
    assert (code, error["code"]) == (404, "not_found")
    assert (await api.fail("POST", "sweeps/abcdef123456/cancel"))[0] == 404
    assert (await api.fail("GET", "sweeps", params={"limit": 0}))[0] == 400
    assert (await api.fail("GET", "sweeps", params={"cursor": "forged"}))[0] == 400


async def test_cancel_over_rest_stops_a_sweep_running_in_a_kernel(api):
    sweep = dl.sweep(sleepy, {"x": [1, 2]}, trials=3, parallel=1, wait=False)
    deadline = time.monotonic() + 60
    while not any(t["intermediate"] for t in sweep.trials):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    cancelled = await api.ok("POST", f"sweeps/{sweep.id}/cancel")
    validate(cancelled, "SweepDetail")
    assert cancelled["status"] == "cancelled"
    assert cancelled["error"] == "cancelled from the platform API"
    assert [t["state"] for t in cancelled["trials"]] == ["failed"]
    assert cancelled["trials"][0]["error"] == "stopped: cancelled from the platform API"
    assert sweep.wait(timeout=30) == "cancelled"
