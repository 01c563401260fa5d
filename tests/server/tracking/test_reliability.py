"""What tracking promises under load and failure: no lost points, crashes recorded.

Training processes are real subprocesses writing one SQLite store, as several
notebooks and scripts on one machine do.
"""

import math
import os
import subprocess
import sys
import threading
import time

import pytest

import jupyter_dl as dl
from jupyter_dl.store import Store, sqlite_path
from jupyter_dl.tracking.client import API_URL_ENV
from jupyter_dl.tracking.service import RunQuery, TrackingService

PROCESSES = 8
POINTS = 50_000

WRITER = f"""
import jupyter_dl as dl
run = dl.init("load", capture_code=False, system_metrics=None)
for i in range({POINTS}):
    dl.log({{"loss": i * 0.5}})
dl.finish()
print(run.id)
"""

# Logs about one point a millisecond until killed; "logged N" every 100 ms says how far it got.
LOGGER = """
import time
import jupyter_dl as dl
run = dl.init("crash", capture_code=False, system_metrics=None)
print("run", run.id, flush=True)
logged = 0
report = time.monotonic()
while True:
    dl.log({"loss": float(logged)})
    logged += 1
    if time.monotonic() >= report:
        print("logged", logged, flush=True)
        report += 0.1
    time.sleep(0.001)
"""


def child_env():
    """This test's store, written directly (never a server the test run may point at)."""
    env = dict(os.environ)
    env.pop(API_URL_ENV, None)
    env.pop("RANK", None)
    return env


def test_concurrent_processes_lose_no_points(store_url, artifacts_dir):
    """The processes also race to create the store: it does not exist until they start."""
    assert not sqlite_path(store_url).exists()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER],
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [w.communicate(timeout=120) for w in writers]
    for writer, (_, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err

    service = TrackingService(Store(store_url).open(), artifacts_dir)
    page = service.list_runs(RunQuery(project="load", limit=50, count=True))
    assert page.total == PROCESSES
    assert {r["id"] for r in page.items} == {out.strip() for out, _ in outputs}
    counts = []
    for run in page.items:
        assert run["status"] == "finished"
        got = service.series(run["id"], "loss", points=100_000)
        assert got["steps"] == list(range(POINTS))
        assert got["values"] == [i * 0.5 for i in range(POINTS)]
        counts.append(service.get_run(run["id"])["metrics"][0]["count"])
    assert sum(counts) == PROCESSES * POINTS


class Progress:
    """Lines of a child's stdout with the time each arrived."""

    def __init__(self, stream):
        self.run_id = None
        self.logged = []  # (arrival, N)
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream):
        for line in stream:
            word, value = line.split()
            if word == "run":
                self.run_id = value
            else:
                self.logged.append((time.monotonic(), int(value)))

    def logged_by(self, moment):
        return max((n for t, n in self.logged if t <= moment), default=0)


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_killed_process_is_marked_crashed_and_keeps_its_flushed_points(service):
    child = subprocess.Popen(
        [sys.executable, "-c", LOGGER],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        progress = Progress(child.stdout)
        wait_for(lambda: progress.logged, 60, "the child to start logging")
        started = progress.logged[0][0]
        wait_for(lambda: progress.logged[-1][0] - started >= 2.0, 30, "two seconds of logging")
    finally:
        killed_at = time.monotonic()
        child.kill()  # SIGKILL: no atexit, no final flush
        child.wait()

    flushed_before = progress.logged_by(killed_at - 1.0)
    assert flushed_before > 0
    runs = service.list_runs(RunQuery(project="crash")).items
    assert [(r["id"], r["status"]) for r in runs] == [(progress.run_id, "crashed")]
    stored = service.get_run(progress.run_id)["metrics"][0]["count"]
    assert stored >= flushed_before
    got = service.series(progress.run_id, "loss", points=100_000)
    assert got["steps"] == list(range(stored))  # a prefix, without gaps


@pytest.mark.parametrize("flush_interval", [0.5, 3600], ids=["background", "at-finish"])
def test_nan_and_infinities_logged_with_dl_log_round_trip(service, flush_interval):
    values = [1.0, math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324, 2.0]
    run = dl.init("edge", capture_code=False, system_metrics=None, flush_interval=flush_interval)
    for value in values:
        dl.log({"loss": value})
    dl.log({"grad": math.nan})
    dl.finish()

    got = service.series(run.id, "loss")
    assert got["values"] == [1.0, "NaN", "Infinity", "-Infinity", 1e308, -0.0, 5e-324, 2.0]
    detail = service.get_run(run.id)
    loss = next(m for m in detail["metrics"] if m["key"] == "loss")
    assert (loss["count"], loss["min"], loss["max"]) == (8, "-Infinity", "Infinity")
    assert detail["summary"] == {"loss": 2.0, "grad": "NaN"}
