"""Optuna studies kept in the platform store, one journal per sweep.

Optuna's own database storage (``RDBStorage``) creates its tables with its own
Alembic migrations, recorded in the default ``alembic_version`` table, which is
the platform store's. Its journal storage instead needs only two operations,
reading entries from a number on and appending entries, which
:class:`StoreJournalBackend` implements over the ``dl_sweep_journal`` table of
the store (migration 0006). The result is an ordinary
``optuna.storages.JournalStorage``: studies live in the platform database on
SQLite and PostgreSQL alike, and every process of a sweep (the coordinator and
its trial workers, on this machine or on Dask workers that reach the database)
reads and writes the same study.

Each sweep has a journal of its own, numbered from 0, so opening one sweep
replays only its entries. Appends are serialised per sweep: on SQLite the
store's write transactions take the database's write lock when they begin, on
PostgreSQL the sweep's row is locked (``SELECT ... FOR UPDATE``), so two
processes never take the same entry number.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..store import Store

if TYPE_CHECKING:
    from optuna.storages import JournalStorage


def journal_backend(store: Store, sweep_id: str) -> Any:
    """The journal of sweep ``sweep_id`` as an Optuna journal backend."""
    from optuna.storages.journal import BaseJournalBackend

    class StoreJournalBackend(BaseJournalBackend):
        """``read_logs``/``append_logs`` over the sweep's rows of ``dl_sweep_journal``."""

        def __init__(self) -> None:
            self.store = store
            self.sweep_id = sweep_id

        def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
            return read_entries(self.store, self.sweep_id, log_number_from)

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            append_entries(self.store, self.sweep_id, logs)

    return StoreJournalBackend()


def journal_storage(store: Store, sweep_id: str) -> JournalStorage:
    """An Optuna storage holding the study of sweep ``sweep_id``."""
    from optuna.storages import JournalStorage

    return JournalStorage(journal_backend(store, sweep_id))


def read_entries(store: Store, sweep_id: str, start: int) -> list[dict[str, Any]]:
    """The sweep's journal entries numbered ``start`` and up, in order."""
    read, _, _ = _statements()
    # Core rather than an ORM session: Optuna reads the journal before nearly every
    # operation, and this is most of what a trial costs the coordinator.
    with store.engine.connect() as connection:
        rows = connection.execute(read, {"sweep_id": sweep_id, "start": start}).scalars().all()
    return [json.loads(row) for row in rows]


def append_entries(store: Store, sweep_id: str, entries: list[dict[str, Any]]) -> None:
    """Add ``entries`` after the sweep's last one, in one transaction."""
    if not entries:
        return
    _, last_seq, lock = _statements()
    from sqlalchemy import insert

    from ..store.models import SweepJournal

    with store.engine.execution_options(immediate=True).begin() as connection:
        # SQLite's write transaction is the lock that keeps numbers unique; elsewhere the
        # sweep's row is.
        if (
            store.backend != "sqlite"
            and connection.execute(lock, {"sweep_id": sweep_id}).first() is None
        ):
            raise NotFound(f"no sweep with id {sweep_id!r}")
        last = connection.execute(last_seq, {"sweep_id": sweep_id}).scalar()
        first = 0 if last is None else last + 1
        connection.execute(
            insert(SweepJournal),
            [
                {"sweep_id": sweep_id, "seq": first + i, "entry": json.dumps(entry)}
                for i, entry in enumerate(entries)
            ],
        )


@cache
def _statements() -> tuple[Any, Any, Any]:
    """The journal's queries, built once: read from a number on, last number, row lock."""
    from sqlalchemy import bindparam, func, select

    from ..store.models import Sweep, SweepJournal

    sweep: Any = bindparam("sweep_id")
    read = (
        select(SweepJournal.entry)
        .where(SweepJournal.sweep_id == sweep, SweepJournal.seq >= bindparam("start"))
        .order_by(SweepJournal.seq)
    )
    last = select(func.max(SweepJournal.seq)).where(SweepJournal.sweep_id == sweep)
    lock = select(Sweep.id).where(Sweep.id == sweep).with_for_update()
    return read, last, lock
