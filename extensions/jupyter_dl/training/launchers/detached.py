"""The job's supervisor as a detached process, shared by every backend.

Whatever runs the ranks (torch elastic here, a Dask cluster, Kubernetes pods),
one process watches the job: ``python -m jupyter_dl.training.supervise <job
dir>``. It runs in a session of its own, so neither a kernel restart nor the
server's shutdown reaches it, and writes to the job's ``supervisor.log``.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from ... import processes
from ..files import JobFiles

SUPERVISOR_MODULE = "jupyter_dl.training.supervise"


def start_supervisor(files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
    """Start the job's supervisor in ``workdir`` with ``env``; its pid and start time."""
    return processes.spawn_detached(
        [sys.executable, "-m", SUPERVISOR_MODULE, str(files.root)],
        files.supervisor_log,
        cwd=workdir,
        env=env,
    )


def stop_supervisor(job: dict[str, Any], grace: float) -> list[Any]:
    """Ask the job's supervisor to stop (SIGTERM) and wait up to ``grace`` seconds for it.

    Returns its process tree as it was before the signal, for the caller to stop
    whatever of it is left."""
    supervisor = processes.tree(job["pid"], job["pid_started_at"] or 0.0) if job.get("pid") else []
    if supervisor:
        import psutil

        with contextlib.suppress(psutil.Error):
            supervisor[0].terminate()
        psutil.wait_procs([supervisor[0]], timeout=grace)
    return supervisor
