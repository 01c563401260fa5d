"""Alembic environment: migrations always run on a connection the store hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from jupyter_dl.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Serialise concurrent upgrades of a shared team database.
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('jupyter_dl_migrate'))"))
    context.run_migrations()
