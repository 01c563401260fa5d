"""Open the platform database, check where it lives, and bring its schema to head.

The same code serves a laptop (SQLite in WAL mode under the Jupyter data dir)
and a team (PostgreSQL or any SQLAlchemy URL); only the URL differs. Opening a
store always runs the Alembic migrations, so a newer ``jupyter-dl`` upgrades an
older database on its first start and never reads a schema it does not know.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import StoreUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PASSWORD = re.compile(r"(?P<head>://[^:/@]+:)[^@]*(?P<tail>@)")


def redact_url(url: str) -> str:
    """``url`` with any password replaced, safe to show to users and logs."""
    return _PASSWORD.sub(r"\g<head>***\g<tail>", url)


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL; None for other databases or in-memory SQLite."""
    match = re.match(r"sqlite(?:\+\w+)?:///(?P<path>[^?]*)", url)
    if not match or match["path"] in ("", ":memory:"):
        return None
    return Path(match["path"]).expanduser()


class Store:
    """The platform database behind every service.

    ``setting`` names the configuration a user changes to move the store; it is
    quoted in every error so a broken path leads straight to its fix.
    """

    def __init__(self, url: str, setting: str = "JUPYTER_DL_DB_URL") -> None:
        self.url = url
        self.setting = setting
        self.revision: str | None = None
        self.error: str | None = None
        self._engine: Engine | None = None
        self._opened = threading.Event()

    @property
    def backend(self) -> str:
        """The database kind users recognise: ``sqlite``, ``postgresql``, ..."""
        return self.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def location(self) -> str:
        """Where the data lives: the SQLite file, or the redacted URL of a server."""
        path = sqlite_path(self.url)
        return str(path) if path else redact_url(self.url)

    @property
    def ready(self) -> bool:
        """Whether the store is open and its schema current."""
        return self._engine is not None and self.error is None

    def check_location(self) -> None:
        """Fail early, without importing SQLAlchemy, when an SQLite file cannot be written.

        This runs while the server starts, so it must be cheap; a server
        database is only checked when it is opened.
        """
        path = sqlite_path(self.url)
        if path is None:
            return
        parent = path.parent
        blocker = next((p for p in (parent, *parent.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            self._fail(f"{blocker} is a file, so the store {path} cannot be created under it")
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self._fail(f"cannot create the directory {parent} for the store ({e.strerror})")
        if path.exists() and path.is_dir():
            self._fail(f"the store path {path} is a directory, not a database file")
        target = path if path.exists() else parent
        if not os.access(target, os.W_OK):
            self._fail(f"the store path {target} is not writable")

    def open(self) -> Store:
        """Create the engine and run migrations to head; idempotent and thread-safe."""
        with _open_lock:
            if self._engine is not None:
                return self
            try:
                self.check_location()
                engine = _make_engine(self.url)
                self.revision = _upgrade(engine, self.url)
            except StoreUnavailable:
                raise
            except Exception as e:
                self._fail(f"cannot open the store at {self.location}: {_reason(e)}")
            self._engine = engine
            self.error = None
            self._opened.set()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until another thread has opened the store."""
        return self._opened.wait(timeout)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise StoreUnavailable(self.error or f"the store at {self.location} is not open yet")
        return self._engine

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block succeeds, rolled back otherwise.

        ``write=True`` takes the database's write lock when the transaction begins
        (SQLite's, or an advisory lock on PostgreSQL), so read-modify-write sequences
        from concurrent processes never interleave.
        """
        from sqlalchemy.orm import Session

        bind = self.engine.execution_options(immediate=True) if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def describe(self) -> dict[str, Any]:
        """The facts about this store that users see in ``dl.info()`` and the sidebar."""
        facts: dict[str, Any] = {
            "url": redact_url(self.url),
            "backend": self.backend,
            "location": self.location,
            "revision": self.revision,
            "ready": self.ready,
        }
        if self.error:
            facts["error"] = self.error
        return facts

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._opened.clear()

    def _fail(self, problem: str) -> None:
        self.error = f"{problem}. Set {self.setting} to a writable location or a database URL."
        raise StoreUnavailable(self.error)


_open_lock = threading.Lock()


def head_revision() -> str:
    """The newest migration this version ships: what every opened store is brought to."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    head = ScriptDirectory.from_config(config).get_current_head()
    return str(head)


def _reason(error: Exception) -> str:
    """The first line of a driver error, without SQLAlchemy's background links."""
    orig = getattr(error, "orig", None)
    return str(orig or error).splitlines()[0]


def _make_engine(url: str) -> Engine:
    from sqlalchemy import create_engine, event

    if sqlite_path(url) is None and not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, future=True)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _serialise_postgresql_writers)
        return engine

    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # Transactions are begun by SQLAlchemy (below), not implicitly by the driver.
        dbapi_connection.isolation_level = None
        # WAL lets the server read while a training process writes metrics;
        # NORMAL sync is durable across process crashes, which is what we promise.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _serialise_postgresql_writers(connection: Any) -> None:
    """PostgreSQL's counterpart of SQLite's ``BEGIN IMMEDIATE``: a write transaction waits
    for the one before it to end.

    Services read, decide and write in one ``write=True`` transaction (the next version
    number, a project created on first use); on SQLite these never interleave, and a
    lock held until commit keeps it so on a shared server. Reads never take it.
    """
    if connection.get_execution_options().get("immediate"):
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('jupyter_dl_write'))")


def _upgrade(engine: Engine, url: str) -> str | None:
    """Run Alembic to head, serialised between processes sharing the database."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with _migration_lock(url), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        revision: str | None = MigrationContext.configure(connection).get_current_revision()
        return revision


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """Two processes may start at once (a server and its first kernel); one migrates.

    SQLite gets a file lock beside the database; server databases are locked
    inside the migration transaction (see ``migrations/env.py``).
    """
    path = sqlite_path(url)
    if path is None:
        yield
        return
    from filelock import FileLock

    with FileLock(str(path) + ".lock", timeout=120):
        yield
