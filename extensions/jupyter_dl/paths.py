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
