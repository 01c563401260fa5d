"""The supervisor of one local job: ``python -m jupyter_dl.training.supervise <job dir>``.

It runs detached from whoever launched the job (a kernel may exit, a server
restart), so the job's status in the store is right whatever happens to them:

1. it marks the job running, unless it was cancelled before it got there;
2. it runs the job's backend in this process (``Launcher.run``): for a local
   job torch elastic, exactly as ``torchrun`` would, which starts the ranks,
   restarts them all when one fails (up to ``max_restarts``) and stops them on
   SIGTERM; other backends do the same on their engine;
3. a thread beats the job's and the run's heartbeat and records restarts;
4. when torch elastic returns, it settles the outcome (each rank's exit code,
   the first failing rank's traceback first), stops whatever the ranks left
   running, writes ``outcome.json`` and then the store, and ends the job's run.

SIGTERM, SIGINT or SIGHUP stop the job: ``cancelled`` when the job's ``cancel``
file says someone asked for it, ``failed`` otherwise.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType

from .. import processes
from .files import JobFiles
from .launchers import launcher
from .launchers.local import rank_processes
from .outcome import Outcome, Stopped, attempts, exit_codes
from .service import TrainingService

log = logging.getLogger("jupyter_dl.training.supervise")

#: Seconds between heartbeats of a job and its run (restarts are recorded at once).
HEARTBEAT_INTERVAL = 10.0
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m jupyter_dl.training.supervise <job dir>", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    log.setLevel(logging.INFO)
    for signum in _STOP_SIGNALS:
        signal.signal(signum, _stop)
    files = JobFiles(Path(args[0]).absolute())
    spec = files.read_spec()
    job_id, nproc = spec["id"], spec["nproc"]
    from ..api import training_service

    service = training_service()
    started = processes.create_time(os.getpid()) or time.time()
    if files.cancel.exists() or not service.mark_running(job_id, os.getpid(), started):
        log.info("job %s was cancelled before it started", job_id)
        service.finish(job_id, "cancelled", [None] * nproc)
        return 0
    beat = Heartbeat(service, files, job_id, nproc)
    beat.start()
    outcome = Outcome("failed", [None] * nproc)
    try:
        outcome = launcher(spec.get("backend", "local")).run(files, spec)
    except Stopped as e:
        cancelled = files.cancel.exists()
        reason = None if cancelled else f"the job's supervisor was stopped by {e}"
        outcome = Outcome("cancelled" if cancelled else "failed", exit_codes(files, spec), reason)
    except Exception:
        outcome.error = "the launcher failed:\n" + traceback.format_exc()
    finally:
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)  # settle the outcome without interruption
        beat.stop()
        left = processes.stop(rank_processes(files, nproc), grace=5.0)
        if left:
            log.warning("processes %s of job %s could not be stopped", left, job_id)
        restarts = attempts(files, nproc)
        files.write_json(
            files.outcome,
            {
                "status": outcome.status,
                "exit_codes": outcome.exit_codes,
                "error": outcome.error,
                "restarts": restarts,
            },
        )
        service.finish(job_id, outcome.status, outcome.exit_codes, outcome.error, restarts)
        log.info("job %s %s", job_id, outcome.status)
    return 0 if outcome.status == "succeeded" else 1


class Heartbeat:
    """Tells the store the supervisor lives, and how often the ranks were restarted."""

    def __init__(self, service: TrainingService, files: JobFiles, job_id: str, nproc: int):
        self.service = service
        self.files = files
        self.job_id = job_id
        self.nproc = nproc
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        restarts, last = 0, 0.0
        while not self._stopping.wait(1.0):
            now_restarts = attempts(self.files, self.nproc)
            if now_restarts == restarts and time.monotonic() - last < HEARTBEAT_INTERVAL:
                continue
            try:
                self.service.heartbeat(self.job_id, now_restarts)
            except Exception as e:
                log.warning("heartbeat of job %s failed: %s", self.job_id, e)
                continue
            restarts, last = now_restarts, time.monotonic()


def _stop(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


if __name__ == "__main__":
    sys.exit(main())
