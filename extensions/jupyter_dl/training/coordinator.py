"""The loop that runs a sweep: ask the study for trials, hand them out, record how they end.

One coordinator per sweep, on a thread of the process that called ``dl.sweep``
(a kernel stays free while it runs). It uses Optuna's ask-and-tell interface:
the sampler runs here, on every result so far, and each trial's parameters go to
a worker (``trial_workers.py``); the worker runs the trial (``trials.py``),
reporting intermediate values straight into the study's journal, where the
pruner reads them; the outcome comes back here and is told to the study. The
sweep's row gets the running counts, the best trial and a heartbeat about once a
second, which is also when a cancel asked for elsewhere (the REST API) is seen.

However the loop ends (all trials done, cancelled, Ctrl-C, the process exiting,
an error of its own), the trials still running are stopped and recorded as
failed with the reason, and the sweep gets its final status: nothing is left
``running``.
"""

from __future__ import annotations

import atexit
import threading
import time
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .search_space import Spec, distributions, fixed_values
from .sweeps import ERROR_ATTR, RUN_ATTR, SweepService
from .trial_workers import DaskWorkers, LocalWorkers, TrialWorkers
from .trials import TrialContext, TrialTask, run_id_of

if TYPE_CHECKING:
    from optuna import Study
    from optuna.trial import Trial

#: Seconds between records of a sweep's progress (and looks for a cancel request).
PROGRESS_INTERVAL = 1.0
#: Longest wait for a trial's outcome before the loop looks around again.
POLL = 0.25


class Coordinator:
    """Runs sweep ``sweep_id`` to its end on a thread: ``start``, ``stop``, ``join``."""

    def __init__(
        self,
        service: SweepService,
        sweep: Mapping[str, Any],
        study: Study,
        specs: Mapping[str, Spec],
        context: TrialContext,
        address: str | None = None,
    ) -> None:
        self.service = service
        self.sweep_id: str = sweep["id"]
        self.mode: str = sweep["mode"]
        self.trials: int = sweep["trials_requested"]
        self.parallel: int = min(sweep["parallel"], self.trials)
        self.backend: str = sweep["backend"]
        self.address = address
        self.study = study
        self.specs = dict(specs)
        self.fixed = fixed_values(specs)
        self.distributions = distributions(specs)
        self.context = context
        self.running: dict[int, Trial] = {}
        self.counts = {"complete": 0, "pruned": 0, "failed": 0}
        self.best: dict[str, Any] | None = None
        self.first_error: str | None = None
        self._stop_reason: str | None = None
        self._stopping = threading.Event()
        # Not Thread.join: on Python 3.11 a Ctrl-C inside join marks a live thread dead.
        self._ended = threading.Event()
        self._thread = threading.Thread(target=self.run, name=f"sweep-{self.sweep_id}", daemon=True)

    # -- control, from any thread ------------------------------------------------

    def start(self) -> None:
        _live.add(self)
        self._thread.start()

    def stop(self, reason: str) -> None:
        """Stop the sweep: running trials are stopped, the sweep ends ``cancelled``."""
        if self._stop_reason is None:
            self._stop_reason = reason
        self._stopping.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the sweep to end; whether it has."""
        return self._ended.wait(timeout)

    @property
    def done(self) -> bool:
        return self._ended.is_set()

    # -- the loop, on its own thread ---------------------------------------------

    def run(self) -> None:
        status, error = "finished", None
        workers: TrialWorkers | None = None
        try:
            workers = self._workers()
            self._loop(workers)
        except Exception:
            status, error = "failed", "the sweep stopped on an error:\n" + traceback.format_exc()
        finally:
            if workers is not None:
                try:
                    workers.close()
                except Exception:
                    error = error or "stopping the workers failed:\n" + traceback.format_exc()
            try:
                self._end(status, error)
            finally:
                _live.discard(self)
                self._ended.set()

    def _workers(self) -> TrialWorkers:
        if self.backend == "dask":
            return DaskWorkers(self.context, self.parallel, self.address)
        return LocalWorkers(self.context, self.parallel)

    def _loop(self, workers: TrialWorkers) -> None:
        asked = 0
        recorded = 0.0
        while not self._stopping.is_set():
            while asked < self.trials and workers.free() > 0 and not self._stopping.is_set():
                workers.submit(self._ask())
                asked += 1
            if not self.running and asked >= self.trials:
                return
            for outcome in workers.outcomes(POLL):
                self._tell(outcome)
            if time.monotonic() - recorded >= PROGRESS_INTERVAL:
                recorded = time.monotonic()
                if self._record():
                    self.stop("cancelled from the platform API")

    def _ask(self) -> TrialTask:
        trial = self.study.ask(self.distributions)
        run_id = run_id_of(self.sweep_id, trial.number)
        trial.set_user_attr(RUN_ATTR, run_id)
        self.running[trial.number] = trial
        config = {name: trial.params.get(name, self.fixed.get(name)) for name in self.specs}
        return TrialTask(trial._trial_id, trial.number, config, run_id)

    def _tell(self, outcome: Mapping[str, Any]) -> None:
        from optuna.trial import TrialState

        trial = self.running.pop(outcome["number"])
        state = outcome["state"]
        if state == "complete":
            self.study.tell(trial, outcome["value"])
            self._consider(trial, outcome["value"])
        elif state == "pruned":
            self.study.tell(trial, state=TrialState.PRUNED)
        else:
            self._fail(trial, outcome.get("error") or "the trial failed")
            state = "failed"
        self.counts[state] += 1

    def _fail(self, trial: Trial, error: str) -> None:
        from optuna.trial import TrialState

        trial.set_user_attr(ERROR_ATTR, error)
        self.study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
        self.first_error = self.first_error or error

    def _consider(self, trial: Trial, value: float) -> None:
        if value != value:  # NaN never wins
            return
        best = self.best
        better = best is None or (
            value < best["value"] if self.mode == "min" else value > best["value"]
        )
        if better:
            self.best = {
                "number": trial.number,
                "value": value,
                "params": dict(trial.params),
                "run_id": run_id_of(self.sweep_id, trial.number),
            }

    def _record(self) -> bool:
        """Record progress; whether a cancel was asked for."""
        counts = {"running": len(self.running), **self.counts}
        best = None if self.best is None else {**self.best, "value": _finite(self.best["value"])}
        return self.service.record_progress(self.sweep_id, counts, best)

    def _end(self, status: str, error: str | None) -> None:
        reason = self._stop_reason
        if reason is not None and status == "finished":
            status, error = "cancelled", reason
        for trial in list(self.running.values()):
            try:
                self._fail(trial, f"stopped: {reason or error or 'the sweep ended'}")
            except Exception:
                continue
        self.running.clear()
        if (
            status == "finished"
            and self.counts["failed"]
            and not (self.counts["complete"] or self.counts["pruned"])
        ):
            status, error = "failed", f"every trial failed; the first: {self.first_error}"
        self.service.finish(self.sweep_id, status, error)


def _finite(value: float) -> float | str:
    from ..tracking.values import encode

    return encode(value)


_live: set[Coordinator] = set()


def _stop_all() -> None:
    """The process is exiting: end its sweeps cleanly rather than leave them running."""
    for coordinator in list(_live):
        coordinator.stop("the process running the sweep exited")
    for coordinator in list(_live):
        coordinator.join(timeout=30)


atexit.register(_stop_all)
