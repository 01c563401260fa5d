"""``dl.sweep``, ``dl.report`` and ``dl.sweeps``: hyperparameter sweeps as a notebook sees them.

``dl.sweep(fn, space={...}, trials=20, parallel=2, metric="loss", mode="min",
pruner="asha")`` searches ``space`` with Optuna: each trial calls ``fn(config)``
with one dict of settings, in a worker process of its own, inside a tracked run;
``dl.report(step, value)`` inside ``fn`` lets the pruner stop bad trials early.
It blocks until the sweep ends (``wait=False`` returns at once and the sweep runs
on a background thread) and returns a :class:`Sweep`: ``.best``, ``.trials``,
``.study`` (the Optuna study), ``.wait()``, ``.cancel()``, ``.dataframe()``.

Everything is checked before anything is recorded: a bad space, metric, mode,
pruner, sampler or backend is a ``ValueError`` naming the argument, and no sweep
is created. The study lives in the platform store (``optuna_storage.py``), so the
Training panel, the REST API and ``dl.sweeps()`` see every sweep.
"""

from __future__ import annotations

import inspect
import os
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest
from .search_space import Spec, parse_space, space_json
from .sweeps import FINAL_STATUSES, MODES, STUDY_NAME, NewSweep, SweepService
from .trials import report

if TYPE_CHECKING:
    from optuna import Study
    from optuna.pruners import BasePruner
    from optuna.samplers import BaseSampler

    from .coordinator import Coordinator

__all__ = ["Sweep", "report", "sweep", "sweeps"]

BACKENDS = ("local", "dask")
#: Pruners by the names ``pruner=`` takes, as "module attribute" of ``optuna.pruners``.
PRUNERS = {
    "asha": "SuccessiveHalvingPruner",
    "median": "MedianPruner",
    "hyperband": "HyperbandPruner",
}
SAMPLERS = {"tpe": "TPESampler", "random": "RandomSampler"}
DEFAULT_PROJECT = "sweeps"
MAX_NAME = 256
POLL_INTERVAL = 0.2

_service: SweepService | None = None
_service_lock = threading.Lock()


def sweep_service() -> SweepService:
    """The sweeps service of this process, on the store ``dl`` uses."""
    global _service
    from ..api import store

    with _service_lock:
        opened = store().open()
        if _service is None or _service.store is not opened:
            _service = SweepService(opened)
        return _service


class Sweep:
    """A sweep: ``.id``, ``.status``, ``.best``, ``.trials``, ``.study``, ``.wait()``,
    ``.cancel()``, ``.dataframe()``. ``Sweep.load(id)`` finds one again."""

    def __init__(
        self,
        service: SweepService,
        record: Mapping[str, Any],
        coordinator: Coordinator | None = None,
    ) -> None:
        self.service = service
        self.id: str = record["id"]
        self.name: str = record["name"]
        self.metric: str = record["metric"]
        self.mode: str = record["mode"]
        self._record = dict(record)
        self._coordinator = coordinator
        self._study: Study | None = None

    @classmethod
    def load(cls, sweep_id: str, service: SweepService | None = None) -> Sweep:
        """A sweep started earlier (here or anywhere sharing the store), by its id."""
        service = service or sweep_service()
        return cls(service, service.get_sweep(sweep_id, trials=False))

    def __repr__(self) -> str:
        record = self._record
        best = record.get("best")
        shown = f", best {self.metric}={best['value']} (trial {best['number']})" if best else ""
        error = f": {record['error'].splitlines()[0]}" if record.get("error") else ""
        return f"<jupyter_dl.Sweep {self.name} ({self.id}): {record['status']}{shown}{error}>"

    # -- state ---------------------------------------------------------------

    def refresh(self) -> dict[str, Any]:
        """The sweep as the store has it now, with every trial."""
        self._record = self.service.get_sweep(self.id)
        return self._record

    @property
    def status(self) -> str:
        """``running``, ``finished``, ``failed`` or ``cancelled``."""
        status: str = self.refresh()["status"]
        return status

    @property
    def best(self) -> dict[str, Any] | None:
        """The best complete trial so far: ``{number, value, params, run_id}``, or None."""
        best: dict[str, Any] | None = self.refresh()["best"]
        return best

    @property
    def trials(self) -> list[dict[str, Any]]:
        """Every trial: number, state, value, params, run_id, times, intermediate values."""
        trials: list[dict[str, Any]] = self.refresh()["trials"]
        return trials

    @property
    def study(self) -> Study:
        """The Optuna study, read live from the store (for Optuna's analysis and plots)."""
        if self._study is None:
            import optuna

            self._study = optuna.load_study(
                study_name=STUDY_NAME, storage=self.service.storage(self.id)
            )
        return self._study

    def dataframe(self) -> Any:
        """The trials as a pandas DataFrame (Optuna's ``trials_dataframe``); needs pandas."""
        from importlib.util import find_spec

        if find_spec("pandas") is None:
            raise ImportError(
                "Sweep.dataframe() needs pandas (pip install pandas); .trials has the same"
                " rows as dicts"
            )
        return self.study.trials_dataframe()

    # -- control -------------------------------------------------------------

    def wait(self, timeout: float | None = None) -> str:
        """Block until the sweep ends (``TimeoutError`` after ``timeout`` seconds); its status.

        Ctrl-C (KeyboardInterrupt) cancels a sweep this process runs: its running
        trials are stopped, what they logged is kept, and the sweep ends ``cancelled``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        coordinator = self._coordinator
        try:
            while True:
                if coordinator is not None:
                    if coordinator.join(POLL_INTERVAL):
                        return str(self.refresh()["status"])
                else:
                    status = self.status
                    if status in FINAL_STATUSES:
                        return status
                    time.sleep(POLL_INTERVAL)
                if deadline is not None and time.monotonic() >= deadline:
                    status = self._record["status"]
                    raise TimeoutError(f"sweep {self.id} is still {status} after {timeout} s")
        except KeyboardInterrupt:
            if coordinator is not None:
                self.cancel(reason="interrupted (KeyboardInterrupt)")
            raise

    def cancel(self, reason: str = "cancelled") -> str:
        """Stop the sweep and its running trials; its status afterwards."""
        coordinator = self._coordinator
        if coordinator is not None and not coordinator.done:
            coordinator.stop(reason)
            coordinator.join()
            return str(self.refresh()["status"])
        self._record = self.service.cancel(self.id)
        return str(self._record["status"])


def sweep(
    fn: Callable[[dict[str, Any]], Any],
    space: Mapping[str, Any],
    trials: int = 20,
    parallel: int = 1,
    metric: str = "loss",
    mode: str = "min",
    pruner: str | BasePruner | None = None,
    pruner_options: Mapping[str, Any] | None = None,
    sampler: str | BaseSampler = "tpe",
    seed: int | None = None,
    backend: str = "local",
    address: str | None = None,
    name: str | None = None,
    project: str | None = None,
    wait: bool = True,
    service: SweepService | None = None,
) -> Sweep:
    """Search ``space`` for the settings that give ``fn`` its best ``metric``.

    - ``fn(config)`` gets one dict of settings and returns the trial's value (a number,
      or a dict holding ``metric``); or it calls ``dl.report(step, value)`` as it
      trains, and the last value reported counts. It runs in a worker process, inside
      a tracked run of its own (``dl.log`` records there); it travels with cloudpickle.
    - ``space``: settings to search (``dl.uniform``, ``dl.loguniform``, ``dl.intrange``,
      ``dl.choice``, a list for a choice, a ``(low, high)`` tuple for a range) and fixed
      values passed as they are.
    - ``trials``: how many trials to run; ``parallel``: how many at once.
    - ``metric`` names the value (in runs and the panel); ``mode``: ``"min"`` or ``"max"``.
    - ``pruner``: ``"asha"`` (successive halving), ``"median"``, ``"hyperband"``, None (no
      pruning) or an Optuna pruner; ``pruner_options`` are its settings, e.g.
      ``{"min_resource": 1, "reduction_factor": 3}``.
    - ``sampler``: ``"tpe"`` (default), ``"random"`` or an Optuna sampler; ``seed`` seeds
      a named one.
    - ``backend``: ``"local"`` (worker processes on this machine) or ``"dask"`` (a Dask
      cluster at ``address``, or a local one of ``parallel`` workers).
    - ``wait=False`` returns at once; the sweep runs on a background thread.

    A trial that raises is recorded as failed with its traceback, and the sweep goes on.
    """
    from .pickling import dumps

    if not callable(fn):
        raise TypeError(f"dl.sweep needs a function to call with each trial's config, not {fn!r}")
    specs = parse_space(space)
    trials = _whole(trials, "trials")
    parallel = _whole(parallel, "parallel")
    metric = _metric(metric)
    if mode not in MODES:
        raise ValueError(f"mode must be 'min' or 'max', not {mode!r}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if address is not None and (backend != "dask" or not isinstance(address, str)):
        raise ValueError("address is a Dask scheduler's address (a string), for backend='dask'")
    if seed is not None and type(seed) is not int:
        raise ValueError(f"seed must be an integer, not {seed!r}")
    pruner_obj, pruner_label = make_pruner(pruner, pruner_options)
    sampler_obj, sampler_label = make_sampler(sampler, seed)
    name = _name(name if name is not None else getattr(fn, "__name__", None) or "sweep")
    project = _project_name(project)
    try:
        payload = dumps((fn, pruner_obj))
    except Exception as e:
        raise TypeError(
            f"cannot send {name} to the trial workers: {e}. Create what cannot be pickled"
            " (open files, locks, connections) inside the function."
        ) from None

    service = service or sweep_service()
    record = _create(
        service,
        specs,
        name,
        project,
        metric,
        mode,
        pruner_label,
        sampler_label,
        trials,
        parallel,
        backend,
    )
    return _start(service, record, specs, payload, sampler_obj, pruner_obj, address, wait)


def sweeps(limit: int = 50) -> list[dict[str, Any]]:
    """The newest sweeps, with their status, counts and best trial."""
    try:
        return sweep_service().list_sweeps(limit=limit).items
    except BadRequest as e:
        raise ValueError(e.message) from None


# ---------------------------------------------------------------- choices


def make_pruner(pruner: Any, options: Mapping[str, Any] | None) -> tuple[BasePruner, str | None]:
    """The Optuna pruner ``pruner=`` names, and the label the sweep records."""
    import optuna

    if options is not None and not isinstance(options, Mapping):
        raise ValueError("pruner_options must be a dict of the pruner's settings")
    if isinstance(pruner, optuna.pruners.BasePruner):
        if options:
            raise ValueError("pruner_options are for a pruner given by name; this one is built")
        return pruner, type(pruner).__name__
    if pruner is None or pruner == "none":
        if options:
            raise ValueError("pruner_options need a pruner (e.g. pruner='asha')")
        return optuna.pruners.NopPruner(), None
    if not isinstance(pruner, str) or pruner not in PRUNERS:
        raise ValueError(
            f"pruner must be one of {', '.join(PRUNERS)}, None, or an Optuna pruner; not {pruner!r}"
        )
    cls = getattr(optuna.pruners, PRUNERS[pruner])
    return _build(cls, dict(options or {}), f"pruner {pruner!r}"), pruner


def make_sampler(sampler: Any, seed: int | None) -> tuple[BaseSampler, str]:
    """The Optuna sampler ``sampler=`` names, and the label the sweep records."""
    import optuna

    if isinstance(sampler, optuna.samplers.BaseSampler):
        if seed is not None:
            raise ValueError("seed is for a sampler given by name; seed this one yourself")
        return sampler, type(sampler).__name__
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(
            f"sampler must be one of {', '.join(SAMPLERS)} or an Optuna sampler, not {sampler!r}"
        )
    built: BaseSampler = getattr(optuna.samplers, SAMPLERS[sampler])(seed=seed)
    return built, sampler


def _build(cls: type, options: dict[str, Any], what: str) -> Any:
    accepted = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"{what} has no setting {', '.join(unknown)}; it takes {', '.join(accepted)}"
        )
    try:
        return cls(**options)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: {e}") from None


# ---------------------------------------------------------------- internals


def _create(
    service: SweepService,
    specs: Mapping[str, Spec],
    name: str,
    project: str,
    metric: str,
    mode: str,
    pruner: str | None,
    sampler: str,
    trials: int,
    parallel: int,
    backend: str,
) -> dict[str, Any]:
    import optuna

    from ..processes import create_time, current_user

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the panel and .trials show progress
    pid = os.getpid()
    return service.create(
        NewSweep(
            name=name,
            project=project,
            metric=metric,
            mode=mode,
            pruner=pruner,
            sampler=sampler,
            space=space_json(specs),
            trials_requested=trials,
            parallel=parallel,
            backend=backend,
            owner=current_user(),
            pid=pid,
            pid_started_at=create_time(pid),
        )
    )


def _start(
    service: SweepService,
    record: dict[str, Any],
    specs: Mapping[str, Spec],
    payload: bytes,
    sampler: BaseSampler,
    pruner: BasePruner,
    address: str | None,
    wait: bool,
) -> Sweep:
    import optuna

    from ..tracking.capture import capture_environment
    from .coordinator import Coordinator
    from .trials import TrialContext

    study = optuna.load_study(
        study_name=STUDY_NAME, storage=service.storage(record["id"]), sampler=sampler, pruner=pruner
    )
    context = TrialContext(
        sweep_id=record["id"],
        name=record["name"],
        project=record["project"],
        metric=record["metric"],
        owner=record["owner"],
        env=_worker_env(service),
        payload=payload,
        system=capture_environment(),
    )
    coordinator = Coordinator(service, record, study, specs, context, address)
    handle = Sweep(service, record, coordinator)
    coordinator.start()
    if wait:
        status = handle.wait()
        if status == "failed":
            error = (handle._record.get("error") or "").strip()
            warnings.warn(
                f"sweep {handle.name} ({handle.id}) failed: {error}", RuntimeWarning, stacklevel=3
            )
    return handle


def _worker_env(service: SweepService) -> dict[str, str]:
    """The platform settings a trial worker needs to record into the same store."""
    from ..paths import ARTIFACTS_ENV, DB_URL_ENV, resolve_artifacts_dir
    from ..tracking.client import API_TOKEN_ENV, API_URL_ENV

    env = {
        DB_URL_ENV: service.store.url,
        ARTIFACTS_ENV: str(resolve_artifacts_dir(service.store.url)),
    }
    for key in (API_URL_ENV, API_TOKEN_ENV):
        if os.environ.get(key):
            env[key] = os.environ[key]
    return env


def _whole(value: Any, what: str) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{what} must be a whole number >= 1, not {value!r}")
    return value


def _metric(metric: Any) -> str:
    from ..tracking.service import _check_key

    try:
        _check_key(metric)
    except BadRequest as e:
        raise ValueError(f"metric: {e.message}") from None
    return str(metric)


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise ValueError(f"name must be a non-empty string of at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise ValueError(f"the sweep name {name!r} contains control characters")
    return name.strip()


def _project_name(project: Any) -> str:
    """The project of the trials' runs: given, ``$JUPYTER_DL_PROJECT``, the notebook's or
    script's name, else ``sweeps``."""
    from ..api import PROJECT_ENV
    from ..tracking.capture import notebook_path

    if project is None:
        source = notebook_path()
        project = os.environ.get(PROJECT_ENV) or (Path(source).stem if source else DEFAULT_PROJECT)
    if not isinstance(project, str) or not project.strip() or len(project) > 128:
        raise ValueError("project must be a non-empty string of at most 128 characters")
    return project.strip()
