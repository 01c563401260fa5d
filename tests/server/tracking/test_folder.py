"""A job's ranks on a cluster record into the job's run through the job's folder."""

import json
import math

import pytest

import jupyter_dl as dl
from jupyter_dl.errors import PlatformError
from jupyter_dl.tracking.client import TRACKING_DIR_ENV, transport_from_env
from jupyter_dl.tracking.folder import FolderTransport, Relay
from jupyter_dl.training.files import RUN_ID_ENV


@pytest.fixture
def job_run(service, tmp_path, monkeypatch):
    """A job's run, its relay, and this process set up as one of the job's ranks."""
    run = service.create_run("vision", name="resnet", config={"lr": 0.1}, run_id="0123456789ab")
    folder = tmp_path / "job" / "tracking"
    relay = Relay(folder, service, run["id"], interval=0.05)
    relay.start()
    monkeypatch.setenv(TRACKING_DIR_ENV, str(folder))
    monkeypatch.setenv(RUN_ID_ENV, run["id"])
    monkeypatch.setenv("RANK", "0")
    yield run, folder, relay
    relay.stop()


def test_what_rank_zero_logs_reaches_the_run(service, job_run, tmp_path):
    run, folder, relay = job_run
    assert isinstance(transport_from_env(), FolderTransport)
    checkpoint = tmp_path / "notes.txt"
    checkpoint.write_text("epoch 2 was the best\n")

    joined = dl.init(config={"batch": 64}, tags=["k8s"], capture_code=False, system_metrics=None)
    assert joined.id == run["id"]
    assert dict(joined.config) == {"lr": 0.1, "batch": 64}
    for step, loss in enumerate([0.9, 0.5, math.nan]):
        dl.log({"loss": loss}, step=step)
    joined.summary["best"] = 0.5
    dl.log_artifact(checkpoint)
    dl.finish()
    relay.stop()

    stored = service.get_run(run["id"])
    assert stored["config"] == {"lr": 0.1, "batch": 64}
    assert stored["tags"] == ["k8s"]
    assert stored["summary"]["best"] == 0.5
    assert stored["status"] == "running"  # the job, not the rank, ends its run
    series = service.series(run["id"], "loss")
    assert series["steps"] == [0, 1, 2]
    assert series["values"] == [0.9, 0.5, "NaN"]
    assert service.artifact_file(run["id"], "notes.txt").read_text() == "epoch 2 was the best\n"
    assert not list((folder / "files").iterdir())  # relayed artifacts do not linger


def test_the_relay_skips_what_the_store_refuses(service, job_run):
    run, folder, relay = job_run
    transport = FolderTransport(folder)
    transport.update_run(run["id"], {"name": ""})  # an empty name is refused
    transport.log_series(run["id"], {"acc": ([0], [1.0], [0.75])})
    relay.stop()
    stored = service.get_run(run["id"])
    assert stored["name"] == "resnet"
    assert service.series(run["id"], "acc")["values"] == [0.75]


def test_half_written_lines_wait_for_the_rest(service, job_run):
    run, folder, relay = job_run
    relay.stop()
    op = {"op": "log_series", "run": run["id"], "rows": [["acc", 0, 1.0, 0.5]]}
    line = json.dumps(op) + "\n"
    log = folder / "host-1-1.jsonl"
    log.write_text(line[:20])
    assert relay.drain() == 0
    log.write_text(line)
    assert relay.drain() == 1
    assert relay.drain() == 0


def test_a_rank_cannot_start_runs_of_its_own(job_run):
    _, folder, _ = job_run
    with pytest.raises(PlatformError, match="cannot start runs of its own"):
        FolderTransport(folder).create_run({"project": "x"})
