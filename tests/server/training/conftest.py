"""Fixtures of the training tests: a service over the test's store, and no job left running."""

import time

import cloudpickle
import pytest

from jupyter_dl import api
from jupyter_dl.paths import ARTIFACTS_ENV, JOBS_ENV
from jupyter_dl.store import Store
from jupyter_dl.tracking.service import TrackingService
from jupyter_dl.training.service import FINAL_STATUSES, JobRequest, TrainingService


@pytest.fixture(autouse=True)
def job_dirs(tmp_path, monkeypatch):
    """Jobs and artifacts of each test in its own folders, whoever launches them."""
    monkeypatch.setenv(JOBS_ENV, str(tmp_path / "jobs"))
    monkeypatch.setenv(ARTIFACTS_ENV, str(tmp_path / "artifacts"))
    api._training = None
    yield tmp_path / "jobs"
    if api._training is not None:  # jobs a test launched through dl.train
        for job in api._training.list_jobs(status="active").items:
            api._training.cancel(job["id"], grace=5)
    api._training = None


@pytest.fixture
def service(store_url, job_dirs, tmp_path):
    store = Store(store_url).open()
    training = TrainingService(store, job_dirs, TrackingService(store, tmp_path / "artifacts"))
    yield training
    for job in training.list_jobs(status="active").items:
        training.cancel(job["id"], grace=5)
    store.close()


def function_job(fn, *args, nproc=2, **fields):
    """A request to run ``fn(*args)`` on ``nproc`` ranks."""
    payload = cloudpickle.dumps((fn, args, {}))
    command = [fn.__name__]
    return JobRequest(kind="function", nproc=nproc, payload=payload, command=command, **fields)


def wait(service, job_id, timeout=90):
    """The job once it has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = service.get_job(job_id)
        if job["status"] in FINAL_STATUSES:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")


def wait_for(condition, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
