"""Hyperparameter sweeps over the platform store: record, progress, read, cancel.

A sweep is a row of ``dl_sweeps`` (what is searched, how, and its progress) and
an Optuna study in the sweep's journal (``optuna_storage.py``), which holds every
trial: its parameters, intermediate values, state and value. Whoever runs the
sweep (``coordinator.py``, in a kernel or a script) records its progress here;
the REST API, the Training panel and ``dl.sweeps()`` read it from here.

A sweep outlives nothing: it runs as long as the process coordinating it. When
that process is gone without a word (a killed kernel), the sweep is ended as
failed the next time sweeps are read (``reap_lost``), and its trials that were
still running are failed in the journal.
"""

from __future__ import annotations

import math
import secrets
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..access import Access, where_visible
from ..errors import BadRequest, NotFound
from ..pages import Page, iso_time, next_cursor, page_window
from ..processes import process_alive
from ..store import Store
from ..tracking.values import encode

if TYPE_CHECKING:
    from optuna.storages import JournalStorage
    from optuna.trial import FrozenTrial

STATUSES = ("running", "finished", "failed", "cancelled")
FINAL_STATUSES = frozenset({"finished", "failed", "cancelled"})
TRIAL_STATES = ("running", "complete", "pruned", "failed")
MODES = ("min", "max")
#: The Optuna study of every sweep has this name inside the sweep's own journal.
STUDY_NAME = "sweep"
#: How many studies a service keeps open for reading (the panel polls the ones shown).
READERS_KEPT = 16
#: Trial user attributes the platform sets: the trial's run, and why it failed.
RUN_ATTR = "run_id"
ERROR_ATTR = "error"


@dataclass
class NewSweep:
    """A checked sweep, as recorded when it starts."""

    name: str
    project: str
    metric: str
    mode: str
    pruner: str | None
    sampler: str
    space: dict[str, Any]
    trials_requested: int
    parallel: int
    backend: str
    owner: str | None = None
    pid: int | None = None
    pid_started_at: float | None = None


class SweepService:
    """Sweeps in one store. ``heartbeat_timeout``: how long the process coordinating a
    sweep may stay silent before the sweep counts as lost."""

    def __init__(self, store: Store, heartbeat_timeout: float = 120.0) -> None:
        self.store = store
        self.heartbeat_timeout = heartbeat_timeout
        self.host = socket.gethostname()
        # Studies being read, kept so that reading one again replays only its new entries.
        self._readers: OrderedDict[str, JournalStorage] = OrderedDict()
        self._readers_lock = threading.Lock()

    # ------------------------------------------------------------- recording

    def create(self, new: NewSweep) -> dict[str, Any]:
        """Record a sweep (``running``) and create its (empty) study; returns the sweep."""
        import optuna
        from sqlalchemy import delete

        from ..store.models import Sweep

        sweep_id = secrets.token_hex(6)
        now = time.time()
        with self.store.session(write=True) as s:
            s.add(
                Sweep(
                    id=sweep_id,
                    name=new.name,
                    project=new.project,
                    owner=new.owner,
                    metric=new.metric,
                    mode=new.mode,
                    pruner=new.pruner,
                    sampler=new.sampler,
                    space=new.space,
                    trials_requested=new.trials_requested,
                    parallel=new.parallel,
                    backend=new.backend,
                    status="running",
                    error=None,
                    counts=dict.fromkeys(TRIAL_STATES, 0),
                    best=None,
                    cancel_requested=False,
                    host=self.host,
                    pid=new.pid,
                    pid_started_at=new.pid_started_at,
                    heartbeat_at=now,
                    created_at=now,
                )
            )
        direction: Literal["minimize", "maximize"] = "minimize" if new.mode == "min" else "maximize"
        try:
            optuna.create_study(
                study_name=STUDY_NAME, storage=self.storage(sweep_id), direction=direction
            )
        except BaseException:
            with self.store.session(write=True) as s:
                s.execute(delete(Sweep).where(Sweep.id == sweep_id))
            raise
        return self.get_sweep(sweep_id, trials=False)

    def storage(self, sweep_id: str) -> JournalStorage:
        """The Optuna storage of the sweep's study (its journal in the store)."""
        from .optuna_storage import journal_storage

        return journal_storage(self.store, sweep_id)

    def record_progress(
        self, sweep_id: str, counts: Mapping[str, int], best: dict[str, Any] | None
    ) -> bool:
        """The coordinator's summary of the trials, and its heartbeat; returns whether
        someone asked to cancel the sweep."""
        with self.store.session(write=True) as s:
            sweep = self._sweep(s, sweep_id)
            if sweep.status in FINAL_STATUSES:
                return True
            sweep.counts = dict(counts)
            sweep.best = best
            sweep.heartbeat_at = time.time()
            return bool(sweep.cancel_requested)

    def finish(self, sweep_id: str, status: str, error: str | None = None) -> dict[str, Any]:
        """Record how a sweep ended, with its final counts; the first outcome recorded stays."""
        if status not in FINAL_STATUSES:
            raise BadRequest(f"a sweep ends as one of {', '.join(sorted(FINAL_STATUSES))}")
        trials = self._frozen_trials(sweep_id)
        with self.store.session(write=True) as s:
            sweep = self._sweep(s, sweep_id)
            if sweep.status not in FINAL_STATUSES:
                sweep.status = status
                sweep.error = error
                sweep.ended_at = time.time()
                sweep.counts = counts_of(trials)
                sweep.best = best_of(trials, sweep.mode)
            return _sweep_json(sweep)

    # ------------------------------------------------------------------ read

    def list_sweeps(
        self, limit: int = 50, cursor: str | None = None, visible: Access | None = None
    ) -> Page:
        """Sweeps, newest first, without their trials; ``visible``: that user's."""
        from sqlalchemy import select

        from ..store.models import Sweep

        self.reap_lost()
        limit, offset = page_window(limit, cursor)
        stmt = (
            select(Sweep)
            .where(*where_visible(visible, Sweep))
            .order_by(Sweep.created_at.desc(), Sweep.id.desc())
        )
        with self.store.session() as s:
            rows = s.scalars(stmt.offset(offset).limit(limit + 1)).all()
            items = [_sweep_json(row) for row in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def running_here(self) -> list[dict[str, Any]]:
        """Sweeps coordinated from this host and still running, oldest first, once lost
        ones are ended; without their trials."""
        from sqlalchemy import select

        from ..store.models import Sweep

        self.reap_lost()
        stmt = (
            select(Sweep)
            .where(Sweep.status == "running", Sweep.host == self.host)
            .order_by(Sweep.created_at, Sweep.id)
        )
        with self.store.session() as s:
            return [_sweep_json(row) for row in s.scalars(stmt).all()]

    def get_sweep(self, sweep_id: str, trials: bool = True) -> dict[str, Any]:
        """The sweep; with ``trials``, every trial too, and counts and best read from them."""
        self.reap_lost()
        with self.store.session() as s:
            sweep = self._sweep(s, sweep_id)
            body = _sweep_json(sweep)
        if trials:
            frozen = self._frozen_trials(sweep_id)
            body["counts"] = counts_of(frozen)
            body["best"] = best_of(frozen, body["mode"])
            body["trials"] = [trial_json(t) for t in frozen]
        return body

    # ---------------------------------------------------------------- cancel

    def cancel(self, sweep_id: str, wait: float = 10.0) -> dict[str, Any]:
        """Ask the sweep's coordinator to stop it; returns the sweep once it has ended
        (or after ``wait`` seconds, still ``running`` while its trials stop).

        A sweep that has ended is returned as it is; one whose coordinator is gone is
        ended here.
        """
        with self.store.session(write=True) as s:
            sweep = self._sweep(s, sweep_id)
            if sweep.status in FINAL_STATUSES:
                return _sweep_json(sweep)
            sweep.cancel_requested = True
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.get_sweep(sweep_id, trials=False)["status"] in FINAL_STATUSES:
                break
            time.sleep(0.2)
        return self.get_sweep(sweep_id)

    def cancel_requested(self, sweep_id: str) -> bool:
        with self.store.session() as s:
            return bool(self._sweep(s, sweep_id).cancel_requested)

    # ------------------------------------------------------------ lost sweeps

    def reap_lost(self) -> int:
        """End sweeps whose coordinator is gone: at once on this host, after
        ``heartbeat_timeout`` seconds of silence elsewhere. Their running trials fail."""
        from sqlalchemy import select

        from ..store.models import Sweep

        now = time.time()
        with self.store.session() as s:
            running = s.scalars(select(Sweep).where(Sweep.status == "running")).all()
            lost = [(w.id, w.pid) for w in running if self._is_lost(w, now)]
        for sweep_id, pid in lost:
            who = f"the process running it (pid {pid})" if pid else "the process running it"
            reason = f"{who} stopped without recording how the sweep ended"
            self.fail_running_trials(sweep_id, reason)
            self.finish(sweep_id, "failed", reason)
        return len(lost)

    def fail_running_trials(self, sweep_id: str, reason: str) -> list[int]:
        """Fail the sweep's trials still marked running, with ``reason``; their numbers."""
        import optuna
        from optuna.trial import TrialState

        study = optuna.load_study(study_name=STUDY_NAME, storage=self.storage(sweep_id))
        stopped = []
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            study._storage.set_trial_user_attr(trial._trial_id, ERROR_ATTR, reason)
            study.tell(trial.number, state=TrialState.FAIL, skip_if_finished=True)
            stopped.append(trial.number)
        return stopped

    # ------------------------------------------------------------- internals

    def _frozen_trials(self, sweep_id: str) -> list[FrozenTrial]:
        """Every trial of the sweep, replayed from its journal (none before it has a study)."""
        from ..store.models import SweepJournal

        with self.store.session() as s:
            if s.get(SweepJournal, (sweep_id, 0)) is None:
                return []
        with self._readers_lock:
            storage = self._readers.pop(sweep_id, None) or self.storage(sweep_id)
            self._readers[sweep_id] = storage
            while len(self._readers) > READERS_KEPT:
                self._readers.popitem(last=False)
        study_id = storage.get_study_id_from_name(STUDY_NAME)
        # Copies: another request may be bringing the same study up to date meanwhile.
        return storage.get_all_trials(study_id, deepcopy=True)

    def _sweep(self, s: Any, sweep_id: str) -> Any:
        from ..store.models import Sweep

        sweep = s.get(Sweep, sweep_id) if isinstance(sweep_id, str) else None
        if sweep is None:
            raise NotFound(f"no sweep with id {sweep_id!r}")
        return sweep

    def _is_lost(self, sweep: Any, now: float) -> bool:
        if sweep.heartbeat_at is not None and now - sweep.heartbeat_at > self.heartbeat_timeout:
            return True
        return (
            sweep.host == self.host
            and sweep.pid is not None
            and not process_alive(sweep.pid, sweep.pid_started_at or sweep.created_at)
        )


def trial_state(trial: FrozenTrial) -> str:
    """A trial's state in the platform's words (a waiting trial is about to run)."""
    name = trial.state.name
    return {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed"}.get(name, "running")


def counts_of(trials: Iterable[FrozenTrial]) -> dict[str, int]:
    counts = dict.fromkeys(TRIAL_STATES, 0)
    for trial in trials:
        counts[trial_state(trial)] += 1
    return counts


def best_of(trials: Iterable[FrozenTrial], mode: str) -> dict[str, Any] | None:
    """The best complete trial: ``{number, value, params, run_id}``; None before one completes."""
    done = [
        t
        for t in trials
        if trial_state(t) == "complete" and t.value is not None and not math.isnan(t.value)
    ]
    if not done:
        return None
    sign = 1.0 if mode == "min" else -1.0
    best = min(done, key=lambda t: (sign * float(t.value or 0.0), t.number))  # ties: the first
    return {
        "number": best.number,
        "value": _number(best.value),
        "params": dict(best.params),
        "run_id": best.user_attrs.get(RUN_ATTR),
    }


def trial_json(trial: FrozenTrial) -> dict[str, Any]:
    started = trial.datetime_start.timestamp() if trial.datetime_start else None
    ended = trial.datetime_complete.timestamp() if trial.datetime_complete else None
    end = ended if ended is not None else (time.time() if started is not None else None)
    return {
        "number": trial.number,
        "state": trial_state(trial),
        "value": _number(trial.value),
        "params": dict(trial.params),
        "run_id": trial.user_attrs.get(RUN_ATTR),
        "started_at": iso_time(started),
        "ended_at": iso_time(ended),
        "duration": (end - started) if started is not None and end is not None else None,
        "intermediate": [
            [step, _number(value)] for step, value in sorted(trial.intermediate_values.items())
        ],
        "error": trial.user_attrs.get(ERROR_ATTR),
    }


def _number(value: float | None) -> float | str | None:
    """A value as JSON: a number, NaN and infinities as the strings metrics use."""
    return None if value is None else encode(value)


def _sweep_json(sweep: Any) -> dict[str, Any]:
    return {
        "id": sweep.id,
        "name": sweep.name,
        "project": sweep.project,
        "owner": sweep.owner,
        "metric": sweep.metric,
        "mode": sweep.mode,
        "pruner": sweep.pruner,
        "sampler": sweep.sampler,
        "backend": sweep.backend,
        "parallel": sweep.parallel,
        "space": dict(sweep.space),
        "trials_requested": sweep.trials_requested,
        "counts": {state: int((sweep.counts or {}).get(state, 0)) for state in TRIAL_STATES},
        "best": sweep.best,
        "status": sweep.status,
        "error": sweep.error,
        "created_at": iso_time(sweep.created_at),
        "ended_at": iso_time(sweep.ended_at),
    }
