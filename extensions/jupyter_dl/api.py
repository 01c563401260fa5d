"""The Python API a notebook uses: ``import jupyter_dl as dl``.

Like ``mlflow``'s fluent module, these friendly functions sit over the services;
in a kernel they open the local store directly (the same store the server uses,
through ``JUPYTER_DL_DB_URL``), so they work with or without a running server.
"""

from __future__ import annotations

from .paths import DB_URL_ENV, resolve_db_url
from .platform_info import PlatformInfo, PlatformInfoService
from .store import Store

_store: Store | None = None


def store() -> Store:
    """The store this process uses; services open (and migrate) it on first use."""
    global _store
    url = resolve_db_url()
    if _store is None or _store.url != url:
        _store = Store(url, setting=f"${DB_URL_ENV}")
    return _store


def info() -> PlatformInfo:
    """Version, store, visible GPUs and versions, as the Deep Learning sidebar shows them."""
    return PlatformInfoService(store()).info()
