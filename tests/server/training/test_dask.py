"""The dask backend: real jobs whose ranks run one per worker of a Dask cluster.

Most tests share one two-worker ``LocalCluster`` that the test module starts and
names by address, as a user names a team's scheduler; one test leaves the address
out so the job's supervisor starts and ends a cluster of its own.
"""

import logging
import os
import signal

import cloudpickle
import psutil
import pytest
from distributed import Client, LocalCluster

from jupyter_dl.errors import BadRequest
from jupyter_dl.training.launchers.dask import place_ranks, run_rank

from .conftest import function_job, wait, wait_for


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        memory_limit=0,
        silence_logs=logging.ERROR,
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def client(cluster):
    with Client(cluster) as client:
        yield client


def on(cluster, **options):
    """The request fields of a job on ``cluster``."""
    return {"backend": "dask", "options": {"address": cluster.scheduler_address, **options}}


def where_am_i():
    """One DDP step, then every rank's place (host, its worker's pid, env) to rank 0."""
    import os
    import socket

    import torch

    import jupyter_dl as dl

    ddp = dl.distributed
    model = ddp.wrap(torch.nn.Linear(4, 1))
    model(torch.ones(2, 4)).sum().backward()
    dl.log({"step_done": 1.0}, step=0)
    place = {
        "rank": ddp.rank,
        "host": socket.gethostname(),
        "worker_pid": os.getppid(),
        "local_rank": ddp.local_rank,
        "local_world_size": int(os.environ["LOCAL_WORLD_SIZE"]),
    }
    places = [None] * ddp.world_size
    torch.distributed.all_gather_object(places, place)
    ranks = [torch.zeros(1) for _ in range(ddp.world_size)]
    torch.distributed.all_gather(ranks, torch.tensor([float(ddp.rank)]))
    return {
        "type": type(model).__name__,
        "world_size": ddp.world_size,
        "gathered": [int(t.item()) for t in ranks],
        "places": places,
    }


def rank_one_raises():
    import os
    import time

    if os.environ["RANK"] == "1":
        raise ValueError("rank one cannot go on")
    time.sleep(60)  # rank 0 is stopped by the launcher


def kills_its_worker_once():
    import os
    import signal
    import time

    if os.environ["TORCHELASTIC_RESTART_COUNT"] == "0":
        if os.environ["RANK"] == "1":
            os.kill(os.getppid(), signal.SIGKILL)  # the Dask worker running this rank
        time.sleep(60)
    return int(os.environ["TORCHELASTIC_RESTART_COUNT"])


def sleep_with_a_helper():
    import subprocess
    import time

    subprocess.Popen(["sleep", "600"])  # a helper in the rank's process group
    time.sleep(600)


def worker_pids(client):
    return set(client.run(os.getpid).values())


# ------------------------------------------------------------------ jobs


def test_ddp_job_runs_one_rank_per_worker_and_logs_rank_0(service, cluster, client):
    job = service.launch(function_job(where_am_i, name="where", **on(cluster)))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert (done["backend"], done["exit_codes"]) == ("dask", [0, 0])

    result = cloudpickle.loads(service.result_file(job["id"]).read_bytes())
    assert result["type"] == "DistributedDataParallel"
    assert result["world_size"] == 2
    assert result["gathered"] == [0, 1]
    places = result["places"]
    assert [p["rank"] for p in places] == [0, 1]
    # Each rank is a child of a different worker of the cluster.
    assert {p["worker_pid"] for p in places} == worker_pids(client)
    # Both workers share this host, so their ranks count local ranks on it.
    assert [(p["local_rank"], p["local_world_size"]) for p in places] == [(0, 2), (1, 2)]

    run = service.tracking.get_run(done["run_id"])
    assert run["status"] == "finished"
    assert [m["key"] for m in run["metrics"]] == ["step_done"]
    assert service.read_log(job["id"], 1)["done"]


def test_without_an_address_the_job_runs_on_a_cluster_of_its_own(service):
    job = service.launch(function_job(where_am_i, backend="dask"))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    result = cloudpickle.loads(service.result_file(job["id"]).read_bytes())
    workers = {p["worker_pid"] for p in result["places"]}
    assert len(workers) == 2
    # The cluster's worker processes ended with the job.
    wait_for(lambda: not any(psutil.pid_exists(pid) for pid in workers), 30, "the workers to end")


def test_a_failing_rank_fails_the_job_with_its_traceback_first(service, cluster):
    job = service.launch(function_job(rank_one_raises, **on(cluster)))
    done = wait(service, job["id"])
    assert done["status"] == "failed"
    assert done["exit_codes"] == [-signal.SIGTERM, 1]
    assert done["error"].startswith("rank 1 failed (exit code 1):\nTraceback")
    assert "ValueError: rank one cannot go on" in done["error"]
    assert done["error"].rstrip().endswith("rank 0 was killed by SIGTERM")


def test_a_lost_worker_restarts_every_rank_on_the_workers_there_are(service, cluster, client):
    before = worker_pids(client)
    job = service.launch(function_job(kills_its_worker_once, max_restarts=1, **on(cluster)))
    done = wait(service, job["id"])
    assert done["status"] == "succeeded", done["error"]
    assert (done["restarts"], done["exit_codes"]) == (1, [0, 0])
    assert cloudpickle.loads(service.result_file(job["id"]).read_bytes()) == 1
    assert "restart 1: rank 1 starts again" in service.read_log(job["id"], 1)["text"]
    # The cluster's nanny replaced the worker; the second attempt ran on it.
    assert len(worker_pids(client) - before) == 1


def rank_groups(files):
    """Each rank's process group once every rank runs with its helper; None before."""
    records = files.ranks(2, "pid")
    if not all(isinstance(r, dict) for r in records):
        return None
    groups = [[p for p in psutil.process_iter() if _in_group(p, r["pgid"])] for r in records]
    return groups if all(len(g) >= 2 for g in groups) else None


def test_cancel_stops_every_rank_and_its_helpers_and_keeps_the_workers(service, cluster, client):
    job = service.launch(function_job(sleep_with_a_helper, **on(cluster)))
    files = service.files(job["id"])
    workers = worker_pids(client)
    groups = wait_for(lambda: rank_groups(files), 60, "both ranks and their helpers")
    done = service.cancel(job["id"], grace=10)
    assert done["status"] == "cancelled"
    everything = [p for group in groups for p in group]
    _, alive = psutil.wait_procs(everything, timeout=10)
    assert alive == []
    assert worker_pids(client) == workers  # the cluster's workers go on serving


def test_a_killed_supervisor_takes_its_cluster_and_ranks_with_it(service):
    job = service.launch(function_job(sleep_with_a_helper, backend="dask"))
    files = service.files(job["id"])
    groups = wait_for(lambda: rank_groups(files), 60, "both ranks and their helpers")
    supervisor = psutil.Process(service.get_job(job["id"])["pid"])
    ranks = [p for group in groups for p in group]
    everything = [supervisor, *supervisor.children(recursive=True), *ranks]
    supervisor.kill()
    supervisor.wait(10)
    # Its workers and their ranks die with it; the helpers go when the job is found lost.
    assert service.get_job(job["id"])["status"] == "failed"
    _, alive = psutil.wait_procs(everything, timeout=10)
    assert alive == []


def test_too_few_workers_fail_the_job_with_a_clear_message(service, cluster):
    job = service.launch(function_job(where_am_i, nproc=3, **on(cluster, timeout=1)))
    done = wait(service, job["id"])
    assert done["status"] == "failed"
    assert done["error"] == (
        f"the Dask cluster at {cluster.scheduler_address} has 2 worker(s) but 3 are needed"
        " (waited 1 s); start more workers, or ask for fewer processes"
    )


# ------------------------------------------------------------- up front


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"adress": "tcp://x:8786"}, "the dask backend does not take adress; its options are"),
        ({"address": 8786}, "address must be a Dask scheduler's address"),
        ({"address": "tcp://a b"}, "address must be"),
        ({"timeout": 0}, "timeout must be a number of seconds > 0"),
        ({"timeout": "soon"}, "timeout must be"),
    ],
)
def test_bad_options_start_nothing(service, job_dirs, options, message):
    with pytest.raises(BadRequest, match=message):
        service.launch(function_job(where_am_i, backend="dask", options=options))
    assert service.list_jobs().items == []
    assert not job_dirs.exists() or not list(job_dirs.iterdir())


def test_a_worker_that_cannot_see_the_job_folder_says_so(client, tmp_path):
    missing = tmp_path / "elsewhere" / "job"
    future = client.submit(run_rank, str(missing), {"RANK": "0"}, "no-event", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"cannot see the job's folder .*elsewhere/job"):
        future.result()


def test_ranks_go_to_idle_workers_first_grouped_by_host_with_local_ranks():
    workers = {"tcp://b1:1": "b", "tcp://a1:1": "a", "tcp://b2:1": "b", "tcp://c1:1": "c"}
    placed = place_ranks(workers, nproc=3)
    assert [(p.rank, p.worker, p.local_rank, p.local_world_size) for p in placed] == [
        (0, "tcp://a1:1", 0, 1),
        (1, "tcp://b1:1", 0, 2),
        (2, "tcp://b2:1", 1, 2),
    ]
    placed = place_ranks(workers, {"tcp://a1:1", "tcp://b2:1"}, nproc=3)
    assert [(p.worker, p.local_rank) for p in placed] == [
        ("tcp://a1:1", 0),
        ("tcp://b1:1", 0),
        ("tcp://c1:1", 0),
    ]


def _in_group(proc, pgid):
    try:
        return os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE
    except (ProcessLookupError, psutil.Error):
        return False
