"""Where the platform keeps its state, and how a deployment overrides it.

One rule for every host (server extension, hub service, kernel): the store URL
comes from configuration when given, else ``JUPYTER_DL_DB_URL``, else an
SQLite file under the Jupyter data directory. Keeping the rule here means the
server and the kernels it starts always agree on the store.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_URL_ENV = "JUPYTER_DL_DB_URL"
ARTIFACTS_ENV = "JUPYTER_DL_ARTIFACTS_DIR"
DATASETS_ENV = "JUPYTER_DL_DATASETS_DIR"
DATASET_REMOTE_ENV = "JUPYTER_DL_DATASETS_REMOTE"
JOBS_ENV = "JUPYTER_DL_JOBS_DIR"
MODELS_ENV = "JUPYTER_DL_MODELS_DIR"


def default_data_dir() -> Path:
    """The per-user directory holding the embedded store and its files."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "jupyter_dl"


def default_db_url() -> str:
    """SQLite under the Jupyter data dir: zero setup for a laptop or a single user."""
    return f"sqlite:///{default_data_dir() / 'jupyter_dl.sqlite'}"


def resolve_db_url(configured: str = "") -> str:
    """The store URL in force: configuration, then the environment, then the default."""
    return configured or os.environ.get(DB_URL_ENV) or default_db_url()


def resolve_artifacts_dir(db_url: str, configured: str = "") -> Path:
    """Where run artifacts live: configuration, ``$JUPYTER_DL_ARTIFACTS_DIR``, else beside
    an SQLite store (so a store and its files move together), else the data dir."""
    explicit = configured or os.environ.get(ARTIFACTS_ENV)
    if explicit:
        return Path(explicit).expanduser()
    from .store import sqlite_path

    db_file = sqlite_path(db_url)
    return (db_file.parent if db_file else default_data_dir()) / "artifacts"


def resolve_datasets_dir(db_url: str, configured: str = "") -> Path:
    """The dataset repository (git + DVC): configuration, ``$JUPYTER_DL_DATASETS_DIR``,
    else ``datasets/repo`` beside an SQLite store, else under the data dir."""
    explicit = configured or os.environ.get(DATASETS_ENV)
    if explicit:
        return Path(explicit).expanduser()
    return _beside_store(db_url) / "datasets" / "repo"


def resolve_dataset_remote(db_url: str, configured: str = "") -> str:
    """Where dataset versions are pushed: a DVC remote URL or a directory.

    Configuration, ``$JUPYTER_DL_DATASETS_REMOTE``, else ``datasets/remote`` beside an
    SQLite store (else under the data dir). S3, GCS or Azure URLs work when the
    matching ``dvc-s3``/``dvc-gs``/``dvc-azure`` plugin is installed.
    """
    explicit = configured or os.environ.get(DATASET_REMOTE_ENV)
    if explicit:
        return str(Path(explicit).expanduser().absolute()) if "://" not in explicit else explicit
    return str(_beside_store(db_url) / "datasets" / "remote")


def resolve_jobs_dir(db_url: str, configured: str = "") -> Path:
    """Where training jobs keep their files (shipped function, logs per rank, result,
    checkpoints): configuration, ``$JUPYTER_DL_JOBS_DIR``, else ``jobs`` beside an
    SQLite store, else under the data dir."""
    explicit = configured or os.environ.get(JOBS_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return _beside_store(db_url) / "jobs"


def resolve_models_dir(db_url: str, configured: str = "") -> Path:
    """Where published model versions keep their packages: configuration,
    ``$JUPYTER_DL_MODELS_DIR``, else ``models`` beside an SQLite store, else under the
    data dir."""
    explicit = configured or os.environ.get(MODELS_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    return _beside_store(db_url) / "models"


def _beside_store(db_url: str) -> Path:
    from .store import sqlite_path

    db_file = sqlite_path(db_url)
    return db_file.parent if db_file else default_data_dir()
