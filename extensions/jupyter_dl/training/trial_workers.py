"""Where a sweep's trials run: a pool of local worker processes, or a Dask cluster.

Both give the coordinator the same four operations: how many trials it may hand
out now (``free``), hand one out (``submit``), collect the outcomes that have
arrived (``outcomes``), and stop everything (``close``).

- :class:`LocalWorkers`: ``parallel`` long-lived processes started with ``spawn``
  (never ``fork``: a kernel has threads, and CUDA cannot be forked). Each loads the
  function once and runs trial after trial, so a trial pays for a run and a few
  journal entries, not for a new interpreter. A worker that dies mid-trial fails
  that trial and is replaced. Stopping sends SIGTERM (the trial's run ends as
  killed), then SIGKILL after a grace period.
- :class:`DaskWorkers`: each trial is a Dask task on a cluster from
  :func:`~.cluster.dask_client` (a named scheduler, or a local cluster of
  ``parallel`` single-threaded worker processes that lives as long as the sweep).
  The workers must reach the platform store (a PostgreSQL URL for a real cluster).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
import time
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any, Protocol

from .trials import TrialContext, TrialTask, worker_main

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from multiprocessing.process import BaseProcess

    from distributed import Client, Future

#: Seconds a stopped trial gets to end its run before its worker is killed.
STOP_GRACE = 5.0


class TrialWorkers(Protocol):
    """What the coordinator needs from the place trials run."""

    def free(self) -> int:
        """How many more trials may be handed out now."""
        ...

    def submit(self, task: TrialTask) -> None: ...

    def outcomes(self, timeout: float) -> list[dict[str, Any]]:
        """The trials that ended since the last call, waiting up to ``timeout`` for one."""
        ...

    def close(self) -> None:
        """Stop every trial still running and release the workers."""
        ...


class WorkersFailed(RuntimeError):
    """The trial workers could not start (the function cannot be loaded there, ...)."""


class LocalWorkers:
    """``size`` worker processes on this machine, started at once.

    A worker takes trials once it says it is ready (it has loaded the function and
    opened the store), so a trial's times are its own, not the worker's start.
    """

    def __init__(self, context: TrialContext, size: int) -> None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.context = dataclasses.replace(context, threads=max(1, (cores or 1) // max(1, size)))
        self._mp = multiprocessing.get_context("spawn")
        self._started = 0
        self._workers = [self._start() for _ in range(size)]

    def _start(self) -> _Worker:
        parent, child = self._mp.Pipe()
        process = self._mp.Process(
            target=worker_main,
            args=(child, self.context),
            name=f"sweep-{self.context.sweep_id}-{self._started}",
        )
        self._started += 1
        process.start()
        child.close()
        return _Worker(process, parent)

    def free(self) -> int:
        return sum(1 for w in self._workers if w.ready and w.task is None)

    def submit(self, task: TrialTask) -> None:
        worker = next(w for w in self._workers if w.ready and w.task is None)
        worker.task = task
        worker.conn.send(task)

    def outcomes(self, timeout: float) -> list[dict[str, Any]]:
        watched = [w for w in self._workers if w.task is not None or not w.ready]
        if not watched:
            return []
        ready = set(
            wait([w.conn for w in watched] + [w.process.sentinel for w in watched], timeout)
        )
        ended = []
        for worker in watched:
            message = None
            if worker.conn in ready:
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
            if isinstance(message, dict) and "ready" in message:
                worker.ready = True
            elif isinstance(message, dict) and "startup_error" in message:
                raise WorkersFailed("a trial worker could not start:\n" + message["startup_error"])
            elif message is not None:
                ended.append(message)
                worker.task = None
            elif worker.conn in ready or worker.process.sentinel in ready:
                ended.extend(self._replace(worker))
        return ended

    def _replace(self, worker: _Worker) -> list[dict[str, Any]]:
        """A worker died: fail its trial and start another in its place."""
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        if not worker.ready:
            raise WorkersFailed(f"a trial worker exited with code {code} before it was ready")
        self._workers[self._workers.index(worker)] = self._start()
        worker.conn.close()
        task = worker.task
        if task is None:
            return []
        error = (
            f"the worker process running the trial (pid {worker.process.pid}) exited with code"
            f" {code}"
        )
        return [{"number": task.number, "state": "failed", "value": None, "error": error}]

    def close(self) -> None:
        """Idle workers finish their last trial's run and say so; busy ones are stopped.

        The sweep ends once every worker has said it is done (or is gone); their
        interpreters wind down on a thread of their own, which the sweep does not wait for.
        """
        for worker in self._workers:
            try:
                if worker.task is None:
                    worker.conn.send(None)
                else:
                    worker.process.terminate()
            except (OSError, ValueError):
                continue
        deadline = time.monotonic() + STOP_GRACE
        for worker in self._workers:
            left = max(0.0, deadline - time.monotonic())
            if worker.task is None and _said_done(worker, left):
                continue
            worker.process.join(timeout=left)
            if worker.process.is_alive():
                worker.process.kill()
        threading.Thread(target=_reap, args=(self._workers,), daemon=True).start()


def _said_done(worker: _Worker, timeout: float) -> bool:
    """Whether the worker answered the end of the sweep within ``timeout`` seconds."""
    try:
        return bool(worker.conn.poll(timeout)) and worker.conn.recv() == {"done": True}
    except (EOFError, OSError):
        return False


def _reap(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.process.join(timeout=30)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        worker.conn.close()


class _Worker:
    def __init__(self, process: BaseProcess, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False
        self.task: TrialTask | None = None


class DaskWorkers:
    """Trials as tasks on a Dask cluster, at most ``size`` at a time."""

    def __init__(self, context: TrialContext, size: int, address: str | None) -> None:
        from .cluster import dask_client

        self.context = context
        self.size = size
        self._cluster: AbstractContextManager[Client] = dask_client(address, size)
        self.client = self._cluster.__enter__()
        try:
            # Sent to every worker once, not with each trial.
            [self._shared] = self.client.scatter([context], broadcast=True)  # type: ignore[no-untyped-call]
        except BaseException:
            self._cluster.__exit__(None, None, None)
            raise
        self._running: dict[Future[dict[str, Any]], int] = {}

    def free(self) -> int:
        return self.size - len(self._running)

    def submit(self, task: TrialTask) -> None:
        from .trials import run_remote

        future = self.client.submit(
            run_remote,
            self._shared,
            task,
            pure=False,
            key=f"sweep-{self.context.sweep_id}-trial-{task.number}",
        )
        self._running[future] = task.number

    def outcomes(self, timeout: float) -> list[dict[str, Any]]:
        from distributed import wait as dask_wait

        if not self._running:
            return []
        try:
            done, _ = dask_wait(  # type: ignore[no-untyped-call]
                list(self._running), timeout=timeout, return_when="FIRST_COMPLETED"
            )
        except TimeoutError:
            return []
        ended = []
        for future in done:
            number = self._running.pop(future)
            try:
                ended.append(future.result())
            except Exception as e:
                error = f"the Dask task running the trial failed: {type(e).__name__}: {e}"
                ended.append({"number": number, "state": "failed", "value": None, "error": error})
        return ended

    def close(self) -> None:
        try:
            if self._running:
                self.client.cancel(list(self._running), force=True)  # type: ignore[no-untyped-call]
        finally:
            self._running.clear()
            self._cluster.__exit__(None, None, None)
