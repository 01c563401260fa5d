"""The store: located, migrated on open, shared safely between processes."""

import sqlite3
import subprocess
import sys

import pytest

from jupyter_dl.errors import StoreUnavailable
from jupyter_dl.store import Store, head_revision, redact_url, sqlite_path


def test_open_migrates_to_head(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'dl.sqlite'}").open()
    assert store.ready
    assert store.revision == head_revision()
    with sqlite3.connect(tmp_path / "dl.sqlite") as db:
        tables = {r[0] for r in db.execute("select name from sqlite_master where type='table'")}
        assert {"alembic_version", "dl_store_meta"} <= tables
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_migrations_build_exactly_the_models_tables(tmp_path):
    """A table or column added to the models without a migration (or the reverse)
    would break every store opened after an upgrade."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from jupyter_dl.store.models import Base

    store = Store(f"sqlite:///{tmp_path / 'dl.sqlite'}").open()
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []


def test_reopening_keeps_the_store_identity(tmp_path):
    url = f"sqlite:///{tmp_path / 'dl.sqlite'}"
    first = Store(url).open()
    with first.session() as s:
        from jupyter_dl.store.models import StoreMeta

        first_id = s.get(StoreMeta, "store_id").value
    first.close()
    with Store(url).open().session() as s:
        assert s.get(StoreMeta, "store_id").value == first_id


def test_concurrent_first_open_from_two_processes(tmp_path):
    url = f"sqlite:///{tmp_path / 'dl.sqlite'}"
    code = f"from jupyter_dl.store import Store; print(Store({url!r}).open().revision)"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0]
    assert outputs == [head_revision()] * 3
    with sqlite3.connect(tmp_path / "dl.sqlite") as db:
        assert db.execute("select count(*) from dl_store_meta where key='store_id'").fetchone() == (
            1,
        )


def test_unusable_path_names_path_and_setting(tmp_path):
    (tmp_path / "file").write_text("")
    store = Store(f"sqlite:///{tmp_path / 'file' / 'dl.sqlite'}", setting="c.JupyterDL.db_url")
    with pytest.raises(StoreUnavailable) as e:
        store.open()
    assert str(tmp_path / "file") in e.value.message
    assert "c.JupyterDL.db_url" in e.value.message
    assert not store.ready


def test_directory_as_database_is_refused(tmp_path):
    with pytest.raises(StoreUnavailable, match="is a directory"):
        Store(f"sqlite:///{tmp_path}").open()


def test_unreachable_server_database_is_a_clear_error():
    store = Store("postgresql+psycopg://u:secret@127.0.0.1:1/dl")
    with pytest.raises(StoreUnavailable) as e:
        store.open()
    assert "secret" not in e.value.message
    assert "127.0.0.1" in e.value.message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://alice:s3cret@db:5432/dl", "postgresql://alice:***@db:5432/dl"),
        ("postgresql://db/dl", "postgresql://db/dl"),
        ("sqlite:////tmp/x.sqlite", "sqlite:////tmp/x.sqlite"),
    ],
)
def test_redact_url_hides_passwords(url, expected):
    assert redact_url(url) == expected


def test_sqlite_path():
    assert str(sqlite_path("sqlite:////abs/x.sqlite")) == "/abs/x.sqlite"
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("sqlite:///:memory:") is None
    assert sqlite_path("postgresql://h/db") is None
