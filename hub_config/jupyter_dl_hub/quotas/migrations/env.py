"""Alembic environment of the quota database: migrations run on a connection the
store hands in, recorded in their own version table."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from jupyter_dl_hub.quotas.models import Base
from jupyter_dl_hub.quotas.store import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Serialise concurrent upgrades (the hub and its quota service start together).
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('jupyter_dl_quotas'))"))
    context.run_migrations()
