"""The local backend: torch elastic on this machine, watched by a detached supervisor.

``start`` spawns the job's detached supervisor (``detached.py``), which runs
torch elastic (``torch.distributed.run``, what ``torchrun`` runs) with
``torchrun_args``: one node, ``nproc`` ranks, a c10d rendezvous on localhost on
a port the store picks itself, and up to ``max_restarts`` restarts of all ranks
when one fails. Each rank runs ``python -m jupyter_dl.training.entry <job dir>``.

``stop`` asks the supervisor to stop (SIGTERM: torch elastic stops the ranks and
the supervisor records the job cancelled), then stops whatever is left of its
process tree and of the ranks' process groups, so no rank, data loader worker or
helper a rank started outlives the job.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from ... import processes
from ...errors import BadRequest
from ..files import JobFiles
from ..outcome import Outcome, Stopped, describe_failure, exit_codes, failure
from .detached import start_supervisor, stop_supervisor

ENTRY_MODULE = "jupyter_dl.training.entry"
#: How often torch elastic looks at its ranks: a failed rank is noticed within this.
MONITOR_INTERVAL = 0.2
#: Seconds torch elastic gives ranks to exit after SIGTERM before SIGKILL.
SHUTDOWN_TIMEOUT = 5


def torchrun_args(job_id: str, nproc: int, max_restarts: int, job_dir: Path) -> list[str]:
    """The ``torchrun`` command line of a local job (without the program name)."""
    return [
        "--nnodes=1",
        f"--nproc-per-node={nproc}",
        f"--max-restarts={max_restarts}",
        "--rdzv-backend=c10d",
        "--rdzv-endpoint=localhost:0",
        f"--rdzv-id={job_id}",
        f"--monitor-interval={MONITOR_INTERVAL}",
        f"--shutdown-timeout={SHUTDOWN_TIMEOUT}",
        "--module",
        ENTRY_MODULE,
        str(job_dir),
    ]


class LocalLauncher:
    """Jobs as torch elastic process groups on the server's own machine."""

    name = "local"

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        if options:
            raise BadRequest(f"the local backend takes no options, not {sorted(options)}")
        return {}

    def start(self, files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
        # Sharing the rendezvous store with the ranks keeps one store across restarts,
        # where a restarted rank can read the address a dead rank of the previous
        # attempt left behind and fail to connect; a store per attempt cannot.
        env = {**env, "TORCH_DISABLE_SHARE_RDZV_TCP_STORE": "1"}
        return start_supervisor(files, workdir, env)

    def run(self, files: JobFiles, spec: dict[str, Any]) -> Outcome:
        """Run the ranks under torch elastic until they succeed or restarts run out."""
        from torch.distributed.elastic.multiprocessing.api import SignalException
        from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
        from torch.distributed.run import parse_args
        from torch.distributed.run import run as elastic_run

        nproc = spec["nproc"]
        argv = torchrun_args(spec["id"], nproc, spec["max_restarts"], files.root)
        args = parse_args(argv)  # type: ignore[no-untyped-call]
        try:
            elastic_run(args)  # type: ignore[no-untyped-call]
        except SignalException as e:
            raise Stopped(int(e.sigval)) from None
        except ChildFailedError as e:
            failures = {
                rank: failure(int(f.exitcode), float(f.timestamp)) for rank, f in e.failures.items()
            }
            return Outcome(
                "failed", exit_codes(files, spec, failures), describe_failure(files, spec, failures)
            )
        return Outcome("succeeded", [0] * nproc)

    def stop(self, job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
        return stop_on_this_host(job, files, grace)


def stop_on_this_host(job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
    """Stop a job's supervisor, its process tree and the ranks it ran on this machine;
    the pids that could not be stopped."""
    supervisor = stop_supervisor(job, grace)
    known = [*supervisor, *rank_processes(files, job["nproc"])]
    # A restart may have started new ranks while the supervisor was stopping.
    return processes.stop([*known, *rank_processes(files, job["nproc"])], grace=grace)


def rank_processes(files: JobFiles, nproc: int) -> list[Any]:
    """Every live process of the ranks' current attempts on this machine: each rank
    leads a process group of its own, which also holds the helpers it started.

    A rank that ran on another machine (a Dask worker elsewhere) is skipped: its
    process group id means nothing here."""
    found: dict[int, Any] = {}
    here = socket.gethostname()
    for record in files.ranks(nproc, "pid"):
        if isinstance(record, dict) and "pgid" in record and record.get("host", here) == here:
            for proc in processes.group_members(record["pgid"], record.get("started", 0.0)):
                found[proc.pid] = proc
    return list(found.values())
