"""What runs one trial of a sweep, wherever it runs: a local worker process or a Dask worker.

A trial is ``fn(config)`` inside a tracked run of its own (named
``<sweep>-<number>``, tagged ``sweep:<id>``, its config the trial's settings), so
``dl.log`` inside ``fn`` records into it. ``dl.report(step, value)`` records an
intermediate value of the sweep's metric, both in the run and in the trial, and
asks the sweep's pruner whether the trial is worth going on with; when it is not,
it raises :class:`optuna.TrialPruned`, which ends the trial as ``pruned``.

The trial's value is what ``fn`` returns (a number, or a dict holding the
metric), else the last value it reported. How it ended goes back to the
coordinator, which records it in the study; the run is ended here: ``finished``
(tagged ``pruned`` when pruned) or ``failed``, or ``killed`` when the sweep was
stopped while the trial ran.

Worker processes are long-lived: each loads the function once and then runs
trial after trial, so a trial costs a run and a few journal entries, not a new
interpreter. Optuna itself is loaded by a worker only when ``fn`` reports.
"""

from __future__ import annotations

import math
import os
import signal
import socket
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optuna import Study
    from optuna.pruners import BasePruner
    from optuna.trial import Trial

    from ..tracking.client import Transport


@dataclass
class TrialContext:
    """What every trial of a sweep shares; sent to each worker once.

    ``payload`` is ``(fn, pruner)`` cloudpickled; ``env`` the platform settings the
    worker needs (the store, the artifacts folder, the API when runs go over HTTP);
    ``system`` the coordinating process's environment, recorded with every run.
    """

    sweep_id: str
    name: str
    project: str
    metric: str
    owner: str | None
    env: dict[str, str]
    payload: bytes
    system: dict[str, Any]
    #: CPU threads each local worker's math libraries may use (0: their default).
    threads: int = 0


@dataclass
class TrialTask:
    """One trial to run: its id in the study, its number, its settings and its run's id."""

    trial_id: int
    number: int
    config: dict[str, Any]
    run_id: str


class TrialStopped(BaseException):
    """The sweep is stopping this trial (cancelled, or its coordinator is going)."""


class TrialError(Exception):
    """The trial ran but gave no usable value."""


def run_id_of(sweep_id: str, number: int) -> str:
    """The id of trial ``number``'s run, known before the trial starts."""
    return f"{sweep_id}t{number}"


# --------------------------------------------------------------- in a trial


class ActiveTrial:
    """The trial running in this process: its last report and its Optuna trial."""

    def __init__(self, context: TrialContext, task: TrialTask, pruner: Any) -> None:
        self.context = context
        self.task = task
        self.pruner = pruner
        self.last: float | None = None
        self._trial: Trial | None = None

    def report(self, step: int, value: float) -> bool:
        """Record ``value`` at ``step`` in the run and the trial; whether to stop."""
        from .. import api

        api.current().log({self.context.metric: value}, step=step)
        from optuna.pruners import NopPruner

        trial = self.optuna_trial()
        trial.report(value, step)
        self.last = value
        if self.pruner is None or isinstance(self.pruner, NopPruner):
            return False  # asking would read the study again, for a known answer
        return bool(trial.should_prune())

    def optuna_trial(self) -> Trial:
        if self._trial is None:
            from optuna.trial import Trial

            self._trial = Trial(_study(self.context, self.pruner), self.task.trial_id)
        return self._trial


_active: ActiveTrial | None = None
_transport_made: Transport | None = None
_studies: dict[str, Study] = {}
_loaded: dict[str, tuple[Callable[..., Any], Any]] = {}


def report(step: int, value: float) -> None:
    """Report the sweep's metric at ``step`` from inside a trial; may end the trial early.

    Records ``value`` in the trial (the sweep's pruner compares trials by these) and in
    the trial's run, as the sweep's metric. When the pruner judges the trial not worth
    finishing, raises ``optuna.TrialPruned``: let it propagate (clean up in ``finally``)
    and the trial ends as ``pruned``.

    Outside a sweep (calling the function yourself) this does nothing, so the same
    function runs both ways.
    """
    if type(step) is not int or step < 0:
        raise TypeError(f"dl.report: step must be a non-negative int, not {step!r}")
    active = _active
    if active is None:
        return
    from ..tracking.values import to_number

    number = to_number(value, active.context.metric)
    if active.report(step, number):
        import optuna

        raise optuna.TrialPruned(f"trial {active.task.number} pruned at step {step}")


def run_trial(context: TrialContext, task: TrialTask) -> dict[str, Any]:
    """Run one trial in this process and end its run: ``{"number", "state", "value", "error"}``.

    ``state`` is ``complete``, ``pruned`` or ``failed``; a stopped trial raises
    :class:`TrialStopped` after ending its run as killed.
    """
    outcome, end_run = execute_trial(context, task)
    end_run()
    return outcome


def execute_trial(
    context: TrialContext, task: TrialTask
) -> tuple[dict[str, Any], Callable[[], None]]:
    """Run one trial's function; its outcome, and what ends its run.

    A local worker sends the outcome first and ends the run after, so the coordinator
    chooses the next trial while this one's last points are written.
    """
    global _active
    fn, pruner = _load(context)
    active = ActiveTrial(context, task, pruner)
    summary: dict[str, float] = {}
    state, value, error = "failed", None, None
    _start_run(context, task)
    _active = active
    try:
        returned = fn(dict(task.config))
        value, summary = _value_of(returned, active)
        state = "complete"
    except TrialStopped:
        _end_run(task.run_id, "killed", context.metric, {}, active.last)
        raise
    except Exception as e:
        if _is_pruned(e):
            state, value = "pruned", active.last
        elif isinstance(e, TrialError):
            error = str(e)
        else:
            error = _traceback(e)
            print(error, file=sys.stderr, flush=True)
    finally:
        _active = None
    if state == "complete" and value is not None and math.isnan(value):
        state, error = "failed", f"the value of {context.metric} is NaN"
    status = "failed" if state == "failed" else "finished"
    outcome = {"number": task.number, "state": state, "value": value, "error": error}
    return outcome, partial(
        _end_run, task.run_id, status, context.metric, summary, value, state == "pruned"
    )


def _value_of(returned: Any, active: ActiveTrial) -> tuple[float, dict[str, float]]:
    """The trial's value and the numbers to keep in its run's summary."""
    from ..tracking.values import to_number

    metric = active.context.metric
    summary: dict[str, float] = {}
    if isinstance(returned, Mapping):
        for key, item in returned.items():
            try:
                summary[str(key)] = to_number(item, str(key))
            except TypeError:
                continue
        if metric not in returned:
            if active.last is None:
                raise TrialError(
                    f"the function returned a dict without {metric!r} and reported no"
                    f" {metric}; return {{{metric!r}: value, ...}} or call dl.report(step, value)"
                )
            return active.last, summary
        returned = returned[metric]
    if returned is None:
        if active.last is None:
            raise TrialError(
                f"the function returned nothing and reported no {metric}: return the trial's"
                " value, or call dl.report(step, value) as it trains"
            )
        return active.last, summary
    try:
        return to_number(returned, metric), summary
    except TypeError:
        raise TrialError(
            f"the function returned a {type(returned).__name__}; return the trial's {metric}"
            f" as a number (or a dict holding {metric!r})"
        ) from None


def _start_run(context: TrialContext, task: TrialTask) -> None:
    """Create the trial's run and make it the one ``dl.log`` records into here.

    Like a training job's, the run belongs to the trial (``$JUPYTER_DL_RUN_ID``): a
    ``dl.init`` inside the function joins it instead of starting another.
    """
    from .. import api
    from ..tracking.run import Run
    from .files import RUN_ID_ENV

    api.finish()  # a run the previous trial's function left open
    transport = _transport()
    record = transport.create_run(
        {
            "project": context.project,
            "name": f"{context.name}-{task.number}",
            "config": task.config,
            "tags": [f"sweep:{context.sweep_id}"],
            "system": {
                **context.system,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "sweep": {"id": context.sweep_id, "trial": task.number},
            },
            "owner": context.owner,
            "run_id": task.run_id,
        }
    )
    os.environ[RUN_ID_ENV] = task.run_id
    # Not dl.init: a trial skips capturing code and system metrics, which would cost
    # more than a short trial; the sweep's process environment is in the run instead.
    api._run = Run(transport, record, ends_run=False)


def _end_run(
    run_id: str,
    status: str,
    metric: str,
    summary: dict[str, float],
    value: float | None,
    pruned: bool = False,
) -> None:
    """Write what the trial logged, then its value, tags and status in one update."""
    from .. import api
    from .files import RUN_ID_ENV

    try:
        api.finish()  # the trial's run (or the function's dl.init of it): writes its points
    finally:
        os.environ.pop(RUN_ID_ENV, None)
    changes: dict[str, Any] = {"status": status, "exit_code": 0 if status == "finished" else 1}
    values = dict(summary)
    if value is not None and math.isfinite(value):
        values[metric] = value
    if values:
        changes["summary"] = values
    if pruned:
        tags: list[str] = _transport().get_run(run_id)["tags"]
        changes["tags"] = [*tags, "pruned"]
    _transport().update_run(run_id, changes)


def _transport() -> Transport:
    """How this process reaches the platform (the store, or the API), made once."""
    global _transport_made
    if _transport_made is None:
        from ..tracking.client import transport_from_env

        _transport_made = transport_from_env()
    return _transport_made


def _load(context: TrialContext) -> tuple[Callable[..., Any], Any]:
    """The sweep's function and pruner, unpickled once per process."""
    loaded = _loaded.get(context.sweep_id)
    if loaded is None:
        import cloudpickle

        os.environ.update(context.env)
        loaded = _loaded[context.sweep_id] = cloudpickle.loads(context.payload)
    return loaded


def _study(context: TrialContext, pruner: BasePruner | None) -> Study:
    """The sweep's study as this process sees it (its pruner; sampling is the coordinator's)."""
    study = _studies.get(context.sweep_id)
    if study is None:
        import optuna

        from .. import api
        from .optuna_storage import journal_storage
        from .sweeps import STUDY_NAME

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.load_study(
            study_name=STUDY_NAME,
            storage=journal_storage(api.store().open(), context.sweep_id),
            sampler=optuna.samplers.RandomSampler(),
            pruner=pruner,
        )
        _studies[context.sweep_id] = study
    return study


def _is_pruned(error: BaseException) -> bool:
    optuna = sys.modules.get("optuna")
    return optuna is not None and isinstance(error, optuna.TrialPruned)


def _traceback(error: BaseException) -> str:
    """The traceback from the user's function down (this module's frame says nothing)."""
    tb = error.__traceback__
    if tb is not None and tb.tb_frame.f_code.co_filename == __file__ and tb.tb_next is not None:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


# ------------------------------------------------------ local worker process


def worker_main(conn: Connection, context: TrialContext) -> None:
    """A local worker process: run the trials the coordinator sends until told to stop.

    The coordinator sends a :class:`TrialTask` and gets back the trial's outcome; ``None``
    ends the worker, which answers once its last trial's run is written (a closed
    pipe ends it too). Interrupts are the coordinator's to handle, so
    Ctrl-C in a terminal does not kill trials behind its back; SIGTERM stops the trial.
    """
    from ..processes import die_with_parent

    die_with_parent()
    share_cores(context.threads)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    try:
        try:
            _warm_up(context)
        except Exception as e:
            conn.send({"startup_error": _traceback(e)})
            return
        conn.send({"ready": os.getpid()})
        while True:
            try:
                task = conn.recv()
            except EOFError:
                return
            if task is None:
                conn.send({"done": True})
                return
            outcome, end_run = execute_trial(context, task)
            conn.send(outcome)
            end_run()
    except TrialStopped:
        return


def share_cores(threads: int) -> None:
    """Give this worker its share of the machine's cores, as torchrun does for its ranks:
    trials running side by side each with every core would fight over them and each
    run several times slower. A thread count the user set is left alone."""
    if threads <= 0:
        return
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(variable, str(threads))


def _warm_up(context: TrialContext) -> None:
    """Load what every trial needs before taking one, so a trial's times are its own."""
    _, pruner = _load(context)
    _transport()
    _study(context, pruner)


def _stop(signum: int, frame: FrameType | None) -> None:
    raise TrialStopped()


# --------------------------------------------------------------- on Dask


def run_remote(context: TrialContext, task: TrialTask) -> dict[str, Any]:
    """A trial as a Dask task: the same as in a local worker, on whichever worker runs it."""
    return run_trial(context, task)
