"""The Python API a notebook uses: ``import jupyter_dl as dl``.

Like ``mlflow``'s fluent module, these friendly functions sit over explicit
objects (``Run``, ``Transport``) over the services. In a kernel they write the
local store directly (the store the server uses, through ``JUPYTER_DL_DB_URL``),
or the platform API when ``JUPYTER_DL_API_URL`` is set, so they work with or
without a running server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import datasets
from .paths import (
    DB_URL_ENV,
    resolve_artifacts_dir,
    resolve_dataset_remote,
    resolve_datasets_dir,
    resolve_db_url,
    resolve_jobs_dir,
    resolve_models_dir,
)
from .platform_info import PlatformInfo, PlatformInfoService
from .store import Store
from .training.files import RUN_ID_ENV

if TYPE_CHECKING:
    from .datasets.dataset import Dataset
    from .datasets.service import DatasetService
    from .registry.client import TeamRegistry
    from .registry.deployments import DeploymentService
    from .registry.service import RegistryService
    from .tracking.run import Run
    from .training.service import TrainingService

__all__ = [
    "compare",
    "current",
    "dataset",
    "datasets",
    "finish",
    "info",
    "init",
    "log",
    "log_artifact",
    "log_model",
]

PROJECT_ENV = "JUPYTER_DL_PROJECT"

_store: Store | None = None
_run: Run | None = None
_datasets: DatasetService | None = None
_training: TrainingService | None = None
_registry: RegistryService | None = None
_deployments: DeploymentService | None = None


def store() -> Store:
    """The store this process uses; services open (and migrate) it on first use."""
    global _store
    url = resolve_db_url()
    if _store is None or _store.url != url:
        _store = Store(url, setting=f"${DB_URL_ENV}")
    return _store


def dataset_service() -> DatasetService:
    """The datasets service of this process: the store, and the repository and remote the
    server exported (``$JUPYTER_DL_DATASETS_DIR``, ``$JUPYTER_DL_DATASETS_REMOTE``)."""
    global _datasets
    from .datasets.service import DatasetService

    opened = store()
    repo = resolve_datasets_dir(opened.url)
    remote = resolve_dataset_remote(opened.url)
    current = _datasets
    if (
        current is None
        or current.store is not opened
        or current.repo.root != repo
        or current.repo.remote != remote
    ):
        current = _datasets = DatasetService(opened.open(), repo, remote)
    return current


def training_service() -> TrainingService:
    """The training service of this process: the store, the jobs folder the server
    exported (``$JUPYTER_DL_JOBS_DIR``) and the tracking service of the jobs' runs."""
    global _training
    from .tracking.service import TrackingService
    from .training.service import TrainingService

    opened = store().open()
    jobs = resolve_jobs_dir(opened.url)
    artifacts = resolve_artifacts_dir(opened.url)
    current = _training
    if (
        current is None
        or current.store is not opened
        or current.jobs_dir != jobs
        or current.tracking.artifacts_dir != artifacts
    ):
        current = _training = TrainingService(opened, jobs, TrackingService(opened, artifacts))
    return current


def registry_service() -> RegistryService:
    """The model registry of this process: the store and the models folder the server
    exported (``$JUPYTER_DL_MODELS_DIR``); lineage reads the tracking and dataset
    services of the same store."""
    global _registry
    from .registry.service import RegistryService

    training = training_service()
    models = resolve_models_dir(training.store.url)
    current = _registry
    if current is None or current.store is not training.store or current.models_dir != models:
        current = _registry = RegistryService(
            training.store, models, training.tracking, dataset_service()
        )
    return current


def team_registry() -> TeamRegistry | None:
    """The team's model registry when ``JUPYTER_DL_API_URL`` points this process at a
    platform API (packages cached under ``$JUPYTER_DL_MODELS_DIR``); None otherwise."""
    from .platform_client import client_from_env
    from .registry.client import TeamRegistry

    client = client_from_env()
    if client is None:
        return None
    return TeamRegistry(client, resolve_models_dir(resolve_db_url()))


def deployment_service() -> DeploymentService:
    """The deployments of this process's registry: on this server's store, serving the
    team's versions when ``JUPYTER_DL_API_URL`` is set."""
    global _deployments
    from .registry.deployments import DeploymentService

    registry = registry_service()
    team = team_registry()
    current = _deployments
    if current is None or current.registry is not registry or _where(current.team) != _where(team):
        current = _deployments = DeploymentService(registry.store, registry, team=team)
    return current


def _where(team: TeamRegistry | None) -> tuple[str, str | None, Path] | None:
    """What tells two team registries apart: the API, the token and the cache."""
    return None if team is None else (team.client.url, team.client.token, team.models_dir)


def dataset(name: str, version: str | None = "latest") -> Dataset:
    """A version of a dataset (``latest`` by default; a tag such as ``v2``, or a commit id).

    ``.files()``, ``.open(path)``, ``.path``, ``.fs``, ``.torch(transform=...)``,
    ``.versions()``, ``.diff(other)``, ``.commit(folder, message=, tag=)``. Used inside a
    run started with ``dl.init``, the version is recorded on the run. With
    ``$JUPYTER_DL_API_URL`` set, it is the team's dataset, its files read through the
    platform's API into a local cache once.
    """
    from .datasets.dataset import open_dataset

    return open_dataset(datasets.source(), name, version)


def info() -> PlatformInfo:
    """Version, store, visible GPUs and versions, as the Deep Learning sidebar shows them."""
    return PlatformInfoService(store()).info()


def init(
    project: str | None = None,
    name: str | None = None,
    config: Mapping[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    *,
    widget: bool = False,
    total_steps: int | None = None,
    wandb: bool | None = None,
    capture_code: bool = True,
    system_metrics: float | None = 10.0,
    all_ranks: bool = False,
    flush_interval: float = 0.5,
) -> Run:
    """Start tracking a run; ``dl.log`` then records into it. Finishes a previous run.

    - ``project``: defaults to ``$JUPYTER_DL_PROJECT``, else the notebook's or
      script's name, else ``default``.
    - ``widget=True`` shows a live chart and progress in the cell
      (``total_steps`` sizes the progress bar).
    - ``wandb=True`` also mirrors everything to Weights & Biases (``$JUPYTER_DL_WANDB=1``
      turns it on by default); ``wandb`` must be installed and configured.
    - ``capture_code`` stores the notebook or script, the git diff and the
      installed packages with the run; ``system_metrics`` is the sampling interval
      of CPU/memory/GPU metrics in seconds (None turns it off).
    - In a distributed job only rank 0 (``$RANK``) records, unless ``all_ranks``.
    - Inside a training job (``dl.train``, ``%dl_train``) the run is the job's own
      (``$JUPYTER_DL_RUN_ID``): ``config`` merges into it, ``tags`` are added, ``name``
      and ``notes`` replace the job's; the job ends it, not ``dl.finish``.
    """
    global _run
    from .tracking.run import DisabledRun, Run

    if _run is not None:
        _run.finish()
        _run = None
    if not all_ranks and os.environ.get("RANK", "0") not in ("", "0"):
        _run = DisabledRun()
        return _run

    from .tracking.capture import capture_environment, capture_files
    from .tracking.client import transport_from_env

    environment = capture_environment()
    transport = transport_from_env()
    job_run = os.environ.get(RUN_ID_ENV)
    if job_run:
        record = _join_job_run(transport, job_run, name, config, tags, notes)
    else:
        record = transport.create_run(
            {
                "project": project or _default_project(environment),
                "name": name,
                "config": dict(config or {}),
                "tags": list(tags or []),
                "notes": notes,
                "system": environment,
                "owner": environment.get("user"),
            }
        )
    mirrors = []
    if wandb if wandb is not None else os.environ.get("JUPYTER_DL_WANDB") == "1":
        from .tracking.wandb_sink import WandbMirror

        mirrors.append(WandbMirror(record))
    run = Run(
        transport, record, flush_interval=flush_interval, mirrors=mirrors, ends_run=not job_run
    )
    if capture_code:
        run.in_background(lambda: _store_files(run, capture_files(environment)), "capture")
    if system_metrics:
        _start_system_metrics(run, system_metrics)
    _run = run
    if widget:
        run.widget(total_steps=total_steps)
    return run


def log(metrics: Mapping[str, Any], step: int | None = None) -> None:
    """Record metrics into the current run (see ``dl.init``); returns at once."""
    current().log(metrics, step=step)


def log_artifact(path: str | os.PathLike[str], name: str | None = None) -> dict[str, Any]:
    """Store a file or folder with the current run."""
    return current().log_artifact(path, name)


def log_model(model: Any, example_input: Any, name: str = "model") -> dict[str, Any]:
    """Keep a model with the current run, packaged for the registry (see ``Run.log_model``)."""
    return current().log_model(model, example_input, name)


def finish(status: str = "finished", exit_code: int | None = None) -> None:
    """End the current run (all logged points are written first)."""
    global _run
    if _run is not None:
        _run.finish(status, exit_code)
        _run = None


def compare(runs: Sequence[Any], keys: Sequence[str] = (), points: int = 600) -> dict[str, Any]:
    """Runs side by side, as the Experiments panel's Compare shows them.

    ``runs`` are run ids, ``Run``s or ``Job``s (a job's run). Returns ``{"runs": [{id,
    name, project, status, config, summary}], "series": {key: {run id: {"steps",
    "values"}}}}`` for the metrics ``keys`` (every metric of the runs by default), each
    series downsampled to about ``points`` points keeping its lows and highs.
    """
    from .errors import BadRequest, NotFound
    from .registry.publish import _run_id

    if isinstance(runs, str) or not isinstance(runs, Sequence):
        raise TypeError("dl.compare takes a list of runs: run ids, Runs or Jobs")
    ids = [str(_run_id(run)) for run in runs]
    try:
        return training_service().tracking.compare(ids, list(keys), points)
    except (BadRequest, NotFound) as e:
        raise ValueError(e.message) from None


def current() -> Run:
    """The run ``dl.log`` records into; an error naming ``dl.init`` when there is none.

    Inside a training job the job's run is joined on first use, without ``dl.init``.
    """
    if _run is None and os.environ.get(RUN_ID_ENV):
        return init()
    if _run is None:
        raise RuntimeError("no run is active: call dl.init(project=...) first")
    return _run


def _join_job_run(
    transport: Any,
    run_id: str,
    name: str | None,
    config: Mapping[str, Any] | None,
    tags: Sequence[str] | None,
    notes: str | None,
) -> dict[str, Any]:
    """The training job's run, with what ``dl.init`` was given merged into it."""
    changes: dict[str, Any] = {}
    if config:
        changes["config"] = dict(config)
    if name:
        changes["name"] = name
    if notes is not None:
        changes["notes"] = notes
    if tags:
        existing = transport.get_run(run_id)["tags"]
        changes["tags"] = list(dict.fromkeys([*existing, *tags]))
    if not changes:
        record: dict[str, Any] = transport.get_run(run_id)
        return record
    updated: dict[str, Any] = transport.update_run(run_id, changes)
    return updated


def _store_files(run: Run, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        run.transport.add_artifact(run.id, name, data)


def _default_project(environment: dict[str, Any]) -> str:
    if os.environ.get(PROJECT_ENV):
        return os.environ[PROJECT_ENV]
    source = (environment.get("notebook") or {}).get("path") or environment.get("script")
    return Path(source).stem if source else "default"


def _start_system_metrics(run: Run, interval: float) -> None:
    from .tracking.system import SystemMonitor

    samples = iter(range(1 << 62))
    monitor = SystemMonitor(lambda sample, t: run.writer.put(next(samples), t, sample), interval)
    monitor.start()
    run.on_finish(monitor.stop)
