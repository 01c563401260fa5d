"""The jobs service and the local backend: real torch elastic jobs on this machine.

Jobs here run plain Python functions (no model) so each takes about two seconds;
``test_ddp.py`` trains real DDP models.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import cloudpickle
import psutil
import pytest

from jupyter_dl import gpus
from jupyter_dl.errors import BadRequest, Conflict, NotFound
from jupyter_dl.gpus import Gpu, GpuReport
from jupyter_dl.training.entry import keep_result
from jupyter_dl.training.files import JobFiles
from jupyter_dl.training.launchers.local import torchrun_args
from jupyter_dl.training.outcome import describe_failure, exit_codes
from jupyter_dl.training.service import JobRequest, assign_devices

from .conftest import function_job, wait, wait_for


def double(x):
    import os

    print(f"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']} doubles {x}", flush=True)
    return 2 * x


def rank_one_raises():
    import os
    import time

    if os.environ["RANK"] == "1":
        raise ValueError("rank one cannot go on")
    time.sleep(30)  # rank 0 is stopped by the launcher


def sleep_with_a_helper():
    import subprocess
    import time

    subprocess.Popen(["sleep", "600"])  # a helper in the rank's process group
    time.sleep(600)


def killed_once():
    import os
    import signal

    if os.environ["RANK"] == "1" and os.environ["TORCHELASTIC_RESTART_COUNT"] == "0":
        os.kill(os.getpid(), signal.SIGKILL)
    return int(os.environ["TORCHELASTIC_RESTART_COUNT"])


# ------------------------------------------------------------- outcomes


def test_function_job_succeeds_with_result_logs_and_run(service):
    job = service.launch(function_job(double, 21, name="doubling"))
    assert job["status"] in ("queued", "running")
    assert (job["name"], job["nproc"], job["gpus"], job["devices"]) == ("doubling", 2, 0, [])

    done = wait(service, job["id"])
    assert done["status"] == "succeeded"
    assert done["exit_codes"] == [0, 0]
    assert done["error"] is None
    assert done["duration"] > 0
    assert cloudpickle.loads(service.result_file(job["id"]).read_bytes()) == 42
    for rank in (0, 1):
        chunk = service.read_log(job["id"], rank)
        assert f"rank {rank} of 2 doubles 21" in chunk["text"]
        assert chunk["done"]
    run = service.tracking.get_run(done["run_id"])
    assert (run["name"], run["status"], run["exit_code"]) == ("doubling", "finished", 0)
    assert_logs_read_by_offset(service, job["id"])


def assert_logs_read_by_offset(service, job_id):
    """Small chunks from successive offsets add up to the log; no character is cut."""
    log = service.files(job_id).log(0)
    log.write_bytes(log.read_bytes() + "épée\n".encode())
    whole = service.read_log(job_id, 0)
    text, offset = "", 0
    while True:
        chunk = service.read_log(job_id, 0, offset=offset, limit=3)
        text += chunk["text"]
        offset = chunk["next_offset"]
        if chunk["done"]:
            break
    assert text == whole["text"]
    assert text.endswith("épée\n")
    with pytest.raises(BadRequest, match="past the end"):
        service.read_log(job_id, 0, offset=whole["size"] + 1)
    with pytest.raises(BadRequest, match="rank must be between 0 and 1"):
        service.read_log(job_id, 2)
    with pytest.raises(NotFound):
        service.read_log("nosuchjob", 0)


def test_raising_rank_fails_the_job_with_its_traceback_first(service):
    job = wait(service, service.launch(function_job(rank_one_raises))["id"])
    assert job["status"] == "failed"
    assert job["exit_codes"][1] == 1
    first = job["error"].split("\n\n")[0]
    assert first.startswith("rank 1 failed (exit code 1):\nTraceback")
    assert "ValueError: rank one cannot go on" in first
    assert "entry.py" not in first  # the user's frames, not the launcher's
    assert "ValueError: rank one cannot go on" in service.read_log(job["id"], 1)["text"]
    assert service.tracking.get_run(job["run_id"])["status"] == "failed"
    with pytest.raises(Conflict, match="failed"):
        service.result_file(job["id"])


def test_killed_rank_is_restarted_when_restarts_remain(service):
    job = wait(service, service.launch(function_job(killed_once, max_restarts=1))["id"])
    assert (job["status"], job["restarts"], job["exit_codes"]) == ("succeeded", 1, [0, 0])
    assert cloudpickle.loads(service.result_file(job["id"]).read_bytes()) == 1
    assert "restart 1: rank 1 starts again" in service.read_log(job["id"], 1)["text"]


def test_script_and_notebook_jobs(service, tmp_path):
    script = tmp_path / "train.py"
    script.write_text("import os, sys\nprint('script', os.environ['RANK'], sys.argv[1:])\n")
    job = service.launch(JobRequest(kind="script", script=script, args=["--lr", "0.1"], nproc=2))
    assert job["command"] == [str(script), "--lr", "0.1"]
    assert job["name"] == "train"
    notebook = tmp_path / "explore.ipynb"
    cells = [
        {"cell_type": "markdown", "source": ["# notes"]},
        {"cell_type": "code", "source": ["x = 6\n"]},
        {"cell_type": "code", "source": ["print('notebook', x * 7)"]},
        {"cell_type": "code", "source": ["1 / 0"]},
    ]
    notebook.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}))
    failing = service.launch(JobRequest(kind="notebook", script=notebook, nproc=1))

    assert wait(service, job["id"])["status"] == "succeeded"
    assert "script 1 ['--lr', '0.1']" in service.read_log(job["id"], 1)["text"]
    ended = wait(service, failing["id"])
    assert ended["status"] == "failed"
    assert "notebook 42" in service.read_log(failing["id"], 0)["text"]
    assert "cell 4 of explore.ipynb failed" in ended["error"]
    assert "ZeroDivisionError" in ended["error"]
    assert [j["id"] for j in service.list_jobs().items] == [failing["id"], job["id"]]
    assert [j["id"] for j in service.list_jobs(status="failed").items] == [failing["id"]]
    assert service.list_jobs(status="active").items == []
    assert service.list_jobs(limit=1).next_cursor is not None
    with pytest.raises(BadRequest, match="status must be"):
        service.list_jobs(status="done")


# --------------------------------------------------------------- cancel


def test_cancel_leaves_no_process_behind(service):
    job = service.launch(function_job(sleep_with_a_helper))
    files = service.files(job["id"])
    ranks = wait_for(
        lambda: all(files.pid(r).exists() for r in (0, 1)) and files.ranks(2, "pid"),
        what="both ranks",
    )
    supervisor = psutil.Process(service.get_job(job["id"])["pid"])
    helpers = wait_for(
        lambda: [p for p in supervisor.children(recursive=True) if p.name() == "sleep"],
        what="the helpers",
    )
    everything = [supervisor, *supervisor.children(recursive=True)]
    assert {r["pid"] for r in ranks} <= {p.pid for p in everything}

    cancelled = service.cancel(job["id"])

    assert cancelled["status"] == "cancelled"
    assert cancelled["error"] is None
    assert not [p for p in everything if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert len(helpers) == 2
    assert service.tracking.get_run(job["run_id"])["status"] == "killed"
    assert service.cancel(job["id"])["status"] == "cancelled"  # again: nothing to do


def test_job_outlives_the_process_that_launched_it(service, store_url, job_dirs):
    code = textwrap.dedent(
        """
        import cloudpickle
        from jupyter_dl.api import training_service
        from jupyter_dl.training.service import JobRequest
        from tests.server.training.test_service import double
        payload = cloudpickle.dumps((double, (4,), {}))
        job = training_service().launch(JobRequest(kind="function", nproc=1, payload=payload))
        print(job["id"])
        """
    )
    env = {**os.environ, "JUPYTER_DL_DB_URL": store_url, "JUPYTER_DL_JOBS_DIR": str(job_dirs)}
    launched = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    job_id = launched.stdout.strip().splitlines()[-1]
    job = wait(service, job_id)
    assert job["status"] == "succeeded"
    assert cloudpickle.loads(service.result_file(job_id).read_bytes()) == 8


def test_a_lost_supervisor_fails_the_job_and_takes_its_ranks(service):
    job = service.launch(function_job(sleep_with_a_helper, nproc=1))
    files = service.files(job["id"])
    rank = wait_for(lambda: files.read_json(files.pid(0)), what="the rank")
    supervisor = wait_for(lambda: service.get_job(job["id"])["pid"], what="the supervisor")
    os.kill(supervisor, signal.SIGKILL)
    wait_for(lambda: not psutil.pid_exists(rank["pid"]), what="the rank to die with it")
    ended = wait(service, job["id"])
    assert ended["status"] == "failed"
    assert "supervisor" in ended["error"]
    assert not [p for p in psutil.process_iter() if _in_group(p, rank["pgid"])]


def _in_group(proc, pgid):
    try:
        return os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.Error):
        return False


# ----------------------------------------------------- checks up front


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"nproc": 0}, "nproc must be a number of processes >= 1"),
        ({"nproc": -2}, "nproc must be"),
        ({"nproc": "many"}, "nproc must be"),
        ({"gpus": 1}, "gpus=1 but this server sees 0 GPU"),
        ({"gpus": -1}, "gpus must be"),
        ({"backend": "slurm"}, "unknown backend 'slurm'; choose one of: "),
        ({"max_restarts": -1}, "max_restarts must be"),
        ({"name": ""}, "job name"),
        ({"options": {"address": "x"}}, "the local backend takes no options"),
        ({"options": ["address"]}, "options must be a mapping"),
    ],
)
def test_invalid_requests_start_nothing(service, job_dirs, fields, message):
    with pytest.raises(BadRequest, match=message):
        service.launch(function_job(double, 1, **{"nproc": 2, **fields}))
    assert service.list_jobs().items == []
    assert not job_dirs.exists() or not list(job_dirs.iterdir())


def test_missing_or_wrong_files_are_refused(service, tmp_path):
    with pytest.raises(BadRequest, match="no script at"):
        service.plan(JobRequest(kind="script", script=tmp_path / "nope.py"))
    (tmp_path / "data.csv").write_text("a,b\n")
    with pytest.raises(BadRequest, match=r"runs a \.py file, not data\.csv"):
        service.plan(JobRequest(kind="script", script=tmp_path / "data.csv"))


def _gpu(i):
    return Gpu(index=i, uuid=f"GPU-{i}", name="H100", memory_total=80, memory_used=0)


def test_gpus_set_the_processes_and_devices(service, monkeypatch):
    monkeypatch.setattr(gpus, "probe", lambda: GpuReport("550", [_gpu(0), _gpu(1)]))
    monkeypatch.setattr("jupyter_dl.training.service.probe", gpus.probe)
    plan = service.plan(function_job(double, 1, nproc="auto"))
    assert (plan.nproc, plan.gpus, plan.devices) == (2, 2, ["GPU-0", "GPU-1"])
    plan = service.plan(function_job(double, 1, nproc=1, gpus=None))
    assert (plan.nproc, plan.gpus, plan.devices) == (1, 1, ["GPU-0"])
    plan = service.plan(function_job(double, 1, nproc=4, gpus=0))
    assert (plan.nproc, plan.gpus, plan.devices) == (4, 0, [])
    with pytest.raises(BadRequest, match="each process needs a GPU of its own"):
        service.plan(function_job(double, 1, nproc=3, gpus=2))
    with pytest.raises(BadRequest, match="needs 3 GPUs but this server sees 2"):
        service.plan(function_job(double, 1, nproc=3))
    with pytest.raises(BadRequest, match="gpus=3 but this server sees 2 GPU"):
        service.plan(function_job(double, 1, nproc=1, gpus=3))


def test_free_gpus_are_given_first():
    visible = [_gpu(0), _gpu(1), _gpu(2)]
    assert assign_devices(visible, {"GPU-0"}, 2) == ["GPU-1", "GPU-2"]
    assert assign_devices(visible, {"GPU-0", "GPU-1", "GPU-2"}, 1) == ["GPU-0"]
    assert assign_devices(visible, set(), 0) == []


def test_torchrun_command_line(tmp_path):
    args = torchrun_args("abc123", 4, 2, tmp_path)
    assert "--nproc-per-node=4" in args
    assert "--max-restarts=2" in args
    assert "--rdzv-endpoint=localhost:0" in args
    assert args[-3:] == ["--module", "jupyter_dl.training.entry", str(tmp_path)]


# ------------------------------------------------- outcomes, settled offline


def test_failures_read_cause_first(tmp_path):
    files = JobFiles(tmp_path)
    spec = {"nproc": 3}
    files.write_json(files.pid(0), {"attempt": 0})
    trace = "Traceback (most recent call last):\nValueError: bad batch\n"
    files.write_json(files.error(2, 0), {"rank": 2, "attempt": 0, "time": 20.0, "traceback": trace})
    files.write_json(files.exit(0), {"attempt": 0, "code": 0})
    failures = {
        1: {"exitcode": -15, "how": "was killed by SIGTERM", "time": 10.0},
        2: {"exitcode": 1, "how": "exited with code 1", "time": 21.0},
    }
    error = describe_failure(files, spec, failures)
    assert error.split("\n\n") == [
        "rank 2 failed (exit code 1):\n" + trace.rstrip(),
        "rank 1 was killed by SIGTERM",
    ]
    assert exit_codes(files, spec, failures) == [0, -15, 1]
    killed = {0: {"exitcode": -9, "how": "was killed by SIGKILL", "time": 30.0}}
    assert describe_failure(JobFiles(tmp_path / "other"), spec, killed) == (
        "rank 0 was killed by SIGKILL"
    )


def test_a_result_that_cannot_be_pickled_is_explained(tmp_path):
    import threading

    files = JobFiles(tmp_path)
    keep_result(files, threading.Lock())
    assert not files.result.exists()
    assert "returned a lock that cannot be pickled" in files.result_error.read_text()
    keep_result(files, {"accuracy": 0.9})
    assert cloudpickle.loads(files.result.read_bytes()) == {"accuracy": 0.9}
