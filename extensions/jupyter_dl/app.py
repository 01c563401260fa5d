"""The jupyter-server extension: the platform API inside every user server.

Loading it must stay cheap (no SQLAlchemy, no deep-learning framework): the
store is located and checked while the server starts, then opened and migrated
on a worker thread once the event loop runs, so the server is ready as fast as
it would be without the extension.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Float, Unicode, default

from . import __version__
from .activity import ActivityKeeper, BackgroundWork, default_interval, under_jupyterhub
from .errors import StoreUnavailable
from .paths import (
    ARTIFACTS_ENV,
    DATASET_REMOTE_ENV,
    DATASETS_ENV,
    DB_URL_ENV,
    JOBS_ENV,
    MODELS_ENV,
    resolve_artifacts_dir,
    resolve_dataset_remote,
    resolve_datasets_dir,
    resolve_db_url,
    resolve_jobs_dir,
    resolve_models_dir,
)
from .store import Store

if TYPE_CHECKING:
    from .registry.client import TeamRegistry


class JupyterDL(ExtensionApp):
    """Serves ``/dl/api/...`` from the services over the platform store."""

    name = "jupyter_dl"
    description = "jupyter-dl: datasets, experiments, training and models in JupyterLab"
    version = __version__
    load_other_extensions = True

    db_url = Unicode(
        "",
        help="""SQLAlchemy URL of the platform store.

        Empty means $JUPYTER_DL_DB_URL when set, else an SQLite file under the Jupyter
        data directory. Use a PostgreSQL URL to share runs, datasets and models
        across a team. Kernels started by this server inherit the same store.""",
    ).tag(config=True)

    artifacts_dir = Unicode(
        "",
        help="""Directory for run artifacts (checkpoints, notebook snapshots, files).

        Empty means $JUPYTER_DL_ARTIFACTS_DIR when set, else an ``artifacts`` folder
        beside an SQLite store, else under the Jupyter data directory.""",
    ).tag(config=True)

    datasets_dir = Unicode(
        "",
        help="""The dataset repository: a git + DVC repository holding every dataset.

        Empty means $JUPYTER_DL_DATASETS_DIR when set, else ``datasets/repo`` beside an
        SQLite store, else under the Jupyter data directory. Put it on storage the
        team shares (its DVC cache is shared too). Created on first use.""",
    ).tag(config=True)

    dataset_remote = Unicode(
        "",
        help="""The DVC remote every dataset version is pushed to: a folder or a URL.

        Empty means $JUPYTER_DL_DATASETS_REMOTE when set, else ``datasets/remote`` beside
        an SQLite store. ``s3://``, ``gs://`` and ``azure://`` URLs need the matching
        DVC plugin (``dvc-s3``, ``dvc-gs``, ``dvc-azure``). A version whose push fails is
        not made.""",
    ).tag(config=True)

    jobs_dir = Unicode(
        "",
        help="""Directory of training jobs: per job, the shipped function, one log per
        rank, the result and checkpoints.

        Empty means $JUPYTER_DL_JOBS_DIR when set, else a ``jobs`` folder beside an
        SQLite store, else under the Jupyter data directory. Local jobs run on this
        server's machine, so a local disk is right.""",
    ).tag(config=True)

    models_dir = Unicode(
        "",
        help="""Directory of the model registry's packages: per published version, the
        exported program, the weights, the signature and an example.

        Empty means $JUPYTER_DL_MODELS_DIR when set, else a ``models`` folder beside an
        SQLite store, else under the Jupyter data directory. For a team, put it on
        storage every server (and every deployment) can read.""",
    ).tag(config=True)

    platform_url = Unicode(
        help="""URL of the team's platform service (``.../services/jupyter-dl-platform/``).

        When set, projects and runs, datasets and models are the team's: their routes
        are forwarded to the service as this server's user, and kernels log runs
        there. Jobs, sweeps and deployments stay on this server. Defaults to
        $JUPYTER_DL_API_URL, which the hub sets for servers it points at the service;
        empty means this server's own store holds everything.""",
    ).tag(config=True)

    @default("platform_url")
    def _default_platform_url(self) -> str:
        from .tracking.client import API_URL_ENV

        return os.environ.get(API_URL_ENV, "")

    heartbeat_timeout = Float(
        120.0,
        help="""Seconds a running run (or a job's supervisor) may stay silent before
        the run is marked crashed (the job failed).

        Loggers send a heartbeat with every flush (at least every few seconds), job
        supervisors every ten seconds; runs and jobs of a dead process on this host are
        marked at once.""",
    ).tag(config=True)

    activity_interval = Float(
        help="""Seconds between checks for training jobs, sweeps and deployments running
        on this machine; while any runs, the server reports itself active, so JupyterHub's
        idle culler (and shutdown_no_activity_timeout) never stops it mid-training.

        Checked only under JupyterHub or with ServerApp.shutdown_no_activity_timeout set.
        Defaults to 60, or to the hub's activity interval ($JUPYTERHUB_ACTIVITY_INTERVAL)
        when that is shorter. 0 turns the checks off: such a server is then judged by
        requests and kernel messages alone.""",
    ).tag(config=True)

    @default("activity_interval")
    def _default_activity_interval(self) -> float:
        return default_interval()

    store: Store
    activity: ActivityKeeper | None = None

    def initialize_settings(self) -> None:
        url = resolve_db_url(self.db_url)
        self.store = Store(url, setting=f"c.JupyterDL.db_url (or ${DB_URL_ENV})")
        artifacts = resolve_artifacts_dir(url, self.artifacts_dir)
        datasets = resolve_datasets_dir(url, self.datasets_dir)
        remote = resolve_dataset_remote(url, self.dataset_remote)
        jobs = resolve_jobs_dir(url, self.jobs_dir)
        # Kernels and training processes started from this server use the same store.
        os.environ[DB_URL_ENV] = url
        os.environ[ARTIFACTS_ENV] = str(artifacts)
        os.environ[DATASETS_ENV] = str(datasets)
        os.environ[DATASET_REMOTE_ENV] = remote
        os.environ[JOBS_ENV] = str(jobs)
        models = resolve_models_dir(url, self.models_dir)
        os.environ[MODELS_ENV] = str(models)
        try:
            self.store.check_location()
        except StoreUnavailable as e:
            self.log.error("jupyter-dl: %s", e.message)
        from .datasets.service import DatasetService
        from .permissions import PermissionService
        from .platform_info import PlatformInfoService
        from .registry.deployments import DeploymentService
        from .registry.service import RegistryService
        from .tracking.client import api_token
        from .tracking.service import TrackingService
        from .training.service import TrainingService
        from .training.sweeps import SweepService

        tracking = TrackingService(self.store, artifacts, self.heartbeat_timeout)
        datasets_service = DatasetService(self.store, datasets, remote)
        registry = RegistryService(self.store, models, tracking, datasets_service)
        self.settings.update(
            dl_store=self.store,
            dl_platform_url=self.platform_url,
            dl_platform_token=api_token() or "",
            dl_permissions=PermissionService(self.store),
            dl_info_service=PlatformInfoService(self.store, self.platform_url),
            dl_tracking=tracking,
            dl_datasets=datasets_service,
            dl_registry=registry,
            dl_deployments=DeploymentService(
                self.store, registry, team=self._team_registry(models)
            ),
            dl_training=TrainingService(self.store, jobs, tracking, self.heartbeat_timeout),
            dl_sweeps=SweepService(self.store, self.heartbeat_timeout),
        )

    def _team_registry(self, models: Path) -> TeamRegistry | None:
        """The team's registry, whose versions this server's deployments serve (from
        copies cached under ``models``), when the server is pointed at the team."""
        if not self.platform_url:
            return None
        from .platform_client import PlatformClient, api_token
        from .registry.client import TeamRegistry

        return TeamRegistry(PlatformClient(self.platform_url, api_token()), models)

    def initialize_handlers(self) -> None:
        from .datasets.handlers import default_handlers as dataset_handlers
        from .forward import forward_handlers
        from .platform_info.handlers import default_handlers as info_handlers
        from .registry.handlers import default_handlers as registry_handlers
        from .sharing_handlers import default_handlers as sharing_handlers
        from .tracking.handlers import default_handlers as tracking_handlers
        from .training.handlers import default_handlers as training_handlers
        from .training.sweep_handlers import default_handlers as sweep_handlers
        from .web import NotFoundHandler, api_path

        if self.platform_url:
            self.log.info("jupyter-dl: the team's platform at %s", self.platform_url)
            self.handlers.extend(forward_handlers())
        self.handlers.extend(
            [
                *info_handlers,
                *tracking_handlers,
                *dataset_handlers,
                *training_handlers,
                *sweep_handlers,
                *registry_handlers,
                *sharing_handlers,
                (api_path(".*"), NotFoundHandler),
            ]
        )

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        if self.store.error is None:
            IOLoop.current().run_in_executor(None, self._open_store)
        judged_idle = under_jupyterhub() or serverapp.shutdown_no_activity_timeout > 0
        if self.activity_interval > 0 and judged_idle:
            settings = serverapp.web_app.settings
            work = BackgroundWork(
                settings["dl_training"], settings["dl_sweeps"], settings["dl_deployments"]
            )
            self.activity = ActivityKeeper(work, settings, self.activity_interval, self.log)
            settings["dl_activity"] = self.activity
            self.activity.start()

    def _open_store(self) -> None:
        try:
            self.store.open()
        except StoreUnavailable as e:
            self.log.error("jupyter-dl: %s", e.message)
        else:
            self.log.info(
                "jupyter-dl: store %s at revision %s", self.store.location, self.store.revision
            )

    async def stop_extension(self) -> None:
        if self.activity is not None:
            await self.activity.stop()
        self.store.close()
