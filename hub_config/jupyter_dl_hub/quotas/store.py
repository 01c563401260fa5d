"""Open the quota database and bring its schema to head.

A small store of its own rather than tables in the platform store: the hub side
owns quotas, the platform's migrations know nothing of them, and an admin may
put them next to JupyterHub's tables in a team's PostgreSQL. Its Alembic
history is its own too, recorded in :data:`VERSION_TABLE` rather than
``alembic_version``, so it never collides with another Alembic user of the
same database. Engines (SQLite in WAL mode, or a server database) are made the
platform store's way, one helper for both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from jupyter_dl.store.store import _make_engine, _migration_lock, redact_url, sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "jupyter_dl_quotas_version"


class QuotaStoreError(RuntimeError):
    """The quota database cannot be opened; the message names ``c.Quotas.db_url``."""


class QuotaStore:
    """The quota database: an engine and transactions, migrated on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def location(self) -> str:
        path = sqlite_path(self.url)
        return str(path) if path else redact_url(self.url)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.open()
        assert self._engine is not None
        return self._engine

    def open(self) -> QuotaStore:
        """Create the engine and run the migrations to head; idempotent."""
        with self._lock:
            if self._engine is not None:
                return self
            path = sqlite_path(self.url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
            try:
                engine = _make_engine(self.url)
                _upgrade(engine, self.url)
            except Exception as error:
                reason = str(getattr(error, "orig", None) or error).splitlines()[0]
                raise QuotaStoreError(
                    f"Cannot open the quota database at {self.location}: {reason}."
                    " Set c.Quotas.db_url to a writable location or a database URL."
                ) from error
            self._engine = engine
        return self

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A transaction, committed when the block succeeds. ``write=True`` takes
        SQLite's write lock up front, so read-then-write sequences never interleave."""
        from sqlalchemy.orm import Session

        bind = self.engine.execution_options(immediate=True) if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _upgrade(engine: Engine, url: str) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_lock(url), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


_stores: dict[str, QuotaStore] = {}
_stores_lock = threading.Lock()


def open_store(url: str) -> QuotaStore:
    """The one opened store for ``url`` in this process (the hub's spawners share it)."""
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = _stores[url] = QuotaStore(url)
    return store.open()
