"""The dask backend: one rank per Dask worker, on any cluster, watched by a detached supervisor.

``start`` spawns the job's detached supervisor (``detached.py``), as for a
local job. Its ``run`` gets a client with :func:`~..cluster.dask_client`: on the
scheduler named by the ``address`` option, or on a ``LocalCluster`` of
``nproc`` single-threaded worker processes that lives as long as the job. Then,
for each attempt:

1. it picks ``nproc`` distinct workers, idle ones first, and numbers their ranks
   grouped by host (:func:`place_ranks`): ``LOCAL_RANK`` counts the ranks that
   share a host;
2. it asks rank 0's worker for a free port, so rank 0's host is the rendezvous
   (``MASTER_ADDR``/``MASTER_PORT``, torch's ``env://`` initialisation);
3. it submits one task per rank pinned to its worker (:func:`run_rank`). The task
   runs ``python -m jupyter_dl.training.entry <job dir>`` as a subprocess in a
   process group of its own, with the rank's variables and the job's
   (:func:`job_env`), and returns its exit code. It stops the rank's whole
   process group when the job's ``cancel`` file appears, when the supervisor
   sets the attempt's stop event, or when its own task is cancelled (the
   supervisor went away and the scheduler dropped its work);
4. when a rank fails, the others are stopped; with restarts left, every rank
   starts again on attempt + 1 (``TORCHELASTIC_RESTART_COUNT``), and
   ``dl.distributed.load_checkpoint`` resumes. A worker that leaves the cluster
   fails its rank the same way.

Ranks write their logs, records and checkpoints into the job's folder, so every
worker must see the jobs folder at the same path: on this machine, or on a
filesystem shared with the server (NFS, the team's ``jobs_dir``). A worker that
cannot see it fails the job with a message saying so, before any rank starts.

``stop`` is the local backend's: the supervisor (whose SIGTERM stops every rank,
wherever it runs) and then whatever is left on this machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import BadRequest, LaunchFailed
from ..cluster import DEFAULT_TIMEOUT, dask_client, wait_for_workers
from ..files import JobFiles
from ..outcome import Outcome, Stopped, describe_failure, exit_codes, failure
from .detached import start_supervisor
from .local import ENTRY_MODULE, stop_on_this_host

if TYPE_CHECKING:
    from distributed import Client

#: The options a dask job takes, and what each one means (for error messages).
OPTIONS = {
    "address": "the scheduler's address, e.g. tcp://scheduler:8786 (none: a LocalCluster)",
    "timeout": "seconds to wait for the scheduler and for nproc workers",
}
#: How often the supervisor looks at the ranks' tasks, and a task at its rank.
POLL_INTERVAL = 0.2
#: How often the supervisor checks that the ranks' workers are still in the cluster.
WORKER_CHECK_INTERVAL = 1.0
#: Seconds a rank gets to exit after SIGTERM before its process group is killed.
SHUTDOWN_TIMEOUT = 5.0
#: Variables of the supervisor's environment a rank needs wherever it runs: the
#: job's own (store, folders, run), the path to the code it ships, and the settings
#: of the libraries it trains with. Anything else comes from the worker's environment.
_JOB_ENV_PREFIXES = ("JUPYTER_DL_", "TORCH_", "NCCL_", "GLOO_", "WANDB_")
_JOB_ENV_NAMES = frozenset({"PYTHONPATH", "PYTHONUNBUFFERED", "OMP_NUM_THREADS"})
#: Variables a worker may carry from its own launch that would confuse a rank.
_RANK_ENV_PREFIXES = ("TORCHELASTIC_",)
_RANK_ENV_NAMES = frozenset(
    {
        "RANK",
        "LOCAL_RANK",
        "GROUP_RANK",
        "ROLE_RANK",
        "WORLD_SIZE",
        "LOCAL_WORLD_SIZE",
        "ROLE_WORLD_SIZE",
        "MASTER_ADDR",
        "MASTER_PORT",
    }
)


@dataclass(frozen=True)
class Placement:
    """Where one rank of an attempt runs."""

    rank: int
    worker: str
    host: str
    local_rank: int
    local_world_size: int


class JobFolderUnreachable(RuntimeError):
    """A Dask worker cannot see the job's folder, so its rank could neither read the
    job nor write its log."""


class DaskLauncher:
    """Jobs whose ranks run one per worker of a Dask cluster."""

    name = "dask"

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            allowed = "; ".join(f"{key}: {what}" for key, what in OPTIONS.items())
            raise BadRequest(
                f"the dask backend does not take {', '.join(unknown)}; its options are {allowed}"
            )
        address = options.get("address")
        if address is not None and (
            not isinstance(address, str) or not address.strip() or any(c.isspace() for c in address)
        ):
            raise BadRequest(
                f"address must be a Dask scheduler's address such as tcp://scheduler:8786,"
                f" not {address!r}"
            )
        timeout = options.get("timeout", DEFAULT_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise BadRequest(f"timeout must be a number of seconds > 0, not {timeout!r}")
        return {"address": address, "timeout": float(timeout)}

    def start(self, files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
        return start_supervisor(files, workdir, env)

    def run(self, files: JobFiles, spec: dict[str, Any]) -> Outcome:
        """Run the ranks on the job's Dask cluster until they succeed or restarts run out."""
        options = spec.get("options") or {}
        address, timeout = options.get("address"), float(options.get("timeout", DEFAULT_TIMEOUT))
        nproc = spec["nproc"]
        try:
            with dask_client(address, nproc, timeout=timeout) as client:
                where = address or str(client.scheduler_info()["address"])  # its LocalCluster
                return _Job(client, files, spec, where, timeout).run()
        except LaunchFailed as e:
            return Outcome("failed", [None] * nproc, e.message)

    def stop(self, job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
        # The supervisor stops the ranks on every worker as it goes; what is left on
        # this machine (its LocalCluster, ranks of a worker here) is stopped after it.
        return stop_on_this_host(job, files, grace)


# ------------------------------------------------------------------ the supervisor's side


@dataclass
class _Attempt:
    """How one attempt ended: exit codes, ranks that failed, and errors of the launch itself."""

    codes: dict[int, int]
    failures: dict[int, dict[str, Any]]
    errors: list[str]


class _Job:
    """One job's attempts on a Dask cluster, run from the supervisor."""

    def __init__(
        self, client: Client, files: JobFiles, spec: dict[str, Any], where: str, timeout: float
    ) -> None:
        self.client: Any = client  # Dask's futures and events are untyped: Any here
        self.files = files
        self.spec = spec
        self.where = where
        self.timeout = timeout
        self.nproc: int = spec["nproc"]
        self.env = job_env(os.environ)

    def run(self) -> Outcome:
        last = _Attempt({}, {}, [])
        for attempt in range(self.spec["max_restarts"] + 1):
            if attempt:  # a worker may have left; its replacement may take a moment
                wait_for_workers(self.client, self.nproc, self.timeout, self.where)
            last = self.attempt(attempt)
            if last.errors:
                failures = last.failures
                described = describe_failure(self.files, self.spec, failures) if failures else ""
                error = "\n\n".join([*last.errors, described]).rstrip()
                return Outcome("failed", exit_codes(self.files, self.spec, failures), error)
            if not last.failures:
                return Outcome("succeeded", [last.codes.get(r, 0) for r in range(self.nproc)])
        failures = last.failures
        return Outcome(
            "failed",
            exit_codes(self.files, self.spec, failures),
            describe_failure(self.files, self.spec, failures),
        )

    def attempt(self, attempt: int) -> _Attempt:
        """Run every rank once; stop them all as soon as one fails."""
        from distributed import Event

        ranks = place_ranks(*_workers(self.client), nproc=self.nproc)
        master = ranks[0]
        port = self.client.run(free_port, workers=[master.worker])[master.worker]
        name = f"jupyter-dl-{self.spec['id']}-attempt-{attempt}-stop"
        stop: Any = Event(name, client=self.client)  # type: ignore[no-untyped-call]
        workdir = self.spec.get("workdir") or str(self.files.root)
        futures: dict[int, Any] = {
            p.rank: self.client.submit(
                run_rank,
                str(self.files.root),
                {**self.env, **rank_env(p, self.nproc, master.host, port, attempt)},
                stop.name,
                workdir,
                key=f"jupyter-dl-{self.spec['id']}-attempt-{attempt}-rank-{p.rank}",
                workers=[p.worker],
                allow_other_workers=False,
                pure=False,
            )
            for p in ranks
        }
        try:
            return self._watch(ranks, futures, stop)
        except Stopped:
            self._halt(futures, stop)
            raise
        finally:
            with contextlib.suppress(Exception):
                stop.clear()  # forget the event on the scheduler: no task waits on it now

    def _watch(self, ranks: list[Placement], futures: dict[int, Any], stop: Any) -> _Attempt:
        result = _Attempt({}, {}, [])
        stopping = False
        next_check = time.monotonic() + WORKER_CHECK_INTERVAL
        pending = dict(futures)
        while pending:
            for rank, future in list(pending.items()):
                if future.done():
                    del pending[rank]
                    self._collect(rank, ranks[rank], future, result)
            if time.monotonic() >= next_check and pending:
                next_check = time.monotonic() + WORKER_CHECK_INTERVAL
                present = set(_workers(self.client)[0])
                for rank in [r for r in pending if ranks[r].worker not in present]:
                    # Its task waits for a worker that is gone: the rank died with it.
                    self.client.cancel([pending.pop(rank)])
                    result.failures[rank] = {
                        **failure(-signal.SIGKILL, time.time()),
                        "how": f"was lost with its Dask worker {ranks[rank].worker},"
                        " which left the cluster",
                    }
            if (result.failures or result.errors) and not stopping:
                stop.set()
                stopping = True
            if pending:
                time.sleep(POLL_INTERVAL)
        return result

    def _collect(self, rank: int, where: Placement, future: Any, result: _Attempt) -> None:
        if future.status == "finished":
            code = int(future.result())
            result.codes[rank] = code
            if code:
                result.failures[rank] = failure(code, time.time())
            return
        error = future.exception() if future.status == "error" else "its task was cancelled"
        result.errors.append(f"rank {rank} could not run on Dask worker {where.worker}: {error}")

    def _halt(self, futures: dict[int, Any], stop: Any) -> None:
        """Stop every rank of the attempt (the supervisor is stopping), then drop their tasks."""
        from distributed import wait

        with contextlib.suppress(Exception):
            stop.set()
            wait(list(futures.values()), timeout=SHUTDOWN_TIMEOUT + 5)  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            self.client.cancel(list(futures.values()))


def place_ranks(
    workers: Mapping[str, str], busy: Collection[str] = (), *, nproc: int
) -> list[Placement]:
    """Ranks ``0..nproc-1`` on ``nproc`` distinct workers (address → host).

    Workers with a free thread come before ``busy`` ones, whose tasks a rank would
    queue behind while the other ranks wait for it. The chosen ones are numbered
    grouped by host, so ranks that share a machine have neighbouring ranks and
    local ranks ``0, 1, ...`` there, as torchrun numbers them."""
    by_host = sorted(workers.items(), key=lambda item: (item[1], item[0]))
    chosen = sorted(by_host, key=lambda item: item[0] in busy)[:nproc]
    chosen.sort(key=lambda item: (item[1], item[0]))
    if len(chosen) < nproc:
        raise LaunchFailed(f"the job needs {nproc} Dask workers but the cluster has {len(chosen)}")
    per_host: dict[str, int] = {}
    for _, host in chosen:
        per_host[host] = per_host.get(host, 0) + 1
    seen: dict[str, int] = {}
    placements = []
    for rank, (worker, host) in enumerate(chosen):
        placements.append(Placement(rank, worker, host, seen.get(host, 0), per_host[host]))
        seen[host] = seen.get(host, 0) + 1
    return placements


def rank_env(
    placement: Placement, world_size: int, master_addr: str, master_port: int, attempt: int
) -> dict[str, str]:
    """The variables torch elastic would give this rank: where it is in the job, and
    where rank 0 waits for the others."""
    return {
        "RANK": str(placement.rank),
        "LOCAL_RANK": str(placement.local_rank),
        "WORLD_SIZE": str(world_size),
        "LOCAL_WORLD_SIZE": str(placement.local_world_size),
        "MASTER_ADDR": master_addr,
        "MASTER_PORT": str(master_port),
        "TORCHELASTIC_RESTART_COUNT": str(attempt),
    }


def job_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of the supervisor's environment its ranks need on any worker.

    A worker has its own environment (its PATH, its GPUs), which the rank keeps;
    a worker that the supervisor started itself also inherited the rest."""
    return {
        key: value
        for key, value in environ.items()
        if key in _JOB_ENV_NAMES or key.startswith(_JOB_ENV_PREFIXES)
    }


def _workers(client: Any) -> tuple[dict[str, str], set[str]]:
    """The cluster's workers now (address → host), and those whose threads all have work."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    processing = client.processing()
    hosts = {address: str(info.get("host", address)) for address, info in workers.items()}
    busy = {
        address
        for address, info in workers.items()
        if len(processing.get(address, ())) >= int(info.get("nthreads", 1))
    }
    return hosts, busy


# ----------------------------------------------------------------------- the worker's side


def free_port() -> int:
    """A TCP port nobody listens on now, on the machine this runs on (rank 0's worker)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("", 0))
        port: int = s.getsockname()[1]
        return port


def run_rank(job_dir: str, env: dict[str, str], stop_name: str, workdir: str) -> int:
    """The task of one rank on its Dask worker: run the rank, return its exit code.

    The rank runs in a process group of its own, which also holds what it starts
    (data loader workers, shell commands); the whole group is stopped when the job
    is cancelled, when the supervisor asks (``stop_name``, a Dask event), or when
    this task is cancelled, and in any case before the task returns.
    """
    from distributed import Event, get_worker

    worker = get_worker()
    files = JobFiles(Path(job_dir))
    if not files.spec.is_file():
        raise JobFolderUnreachable(
            f"the Dask worker {worker.address} on {socket.gethostname()} cannot see the job's"
            f" folder {job_dir}; workers need the jobs folder at the same path (on this"
            " machine, or on a filesystem shared with the Jupyter server)"
        )
    rank = int(env["RANK"])
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in _RANK_ENV_NAMES and not k.startswith(_RANK_ENV_PREFIXES)
    }
    paths = [env.get("PYTHONPATH", ""), os.environ.get("PYTHONPATH", "")]
    merged = {**base, **env}
    joined = os.pathsep.join(
        dict.fromkeys(p for part in paths for p in part.split(os.pathsep) if p)
    )
    if joined:
        merged["PYTHONPATH"] = joined
    cwd = workdir if os.path.isdir(workdir) else job_dir
    # The log is opened here so even a rank that cannot start (no jupyter-dl or torch
    # in the worker's Python) says why in its log.
    with files.log(rank).open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", ENTRY_MODULE, job_dir],
            cwd=cwd,
            env=merged,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    key = worker.get_current_task()
    try:
        stop: Any = Event(stop_name)  # type: ignore[no-untyped-call]
        while proc.poll() is None:
            if files.cancel.exists() or _task_cancelled(worker, key) or stop.wait(POLL_INTERVAL):
                break
    finally:
        _stop_group(proc)
    return int(proc.returncode)


def _task_cancelled(worker: Any, key: Any) -> bool:
    """Whether the scheduler no longer wants this task (cancelled, or its client gone)."""
    task = worker.state.tasks.get(key)
    return task is None or task.state in ("cancelled", "released", "forgotten")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the rank's process group, wait for the rank, then kill what is left of it."""
    pgid = proc.pid  # the rank leads its own session, so its group id is its pid
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=SHUTDOWN_TIMEOUT)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    proc.wait()
