"""Store metadata: the table that identifies a store.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    meta = op.create_table(
        "dl_store_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(512), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(
        meta,
        [
            {"key": "store_id", "value": uuid.uuid4().hex, "updated_at": now},
            {"key": "created_at", "value": now.isoformat(), "updated_at": now},
        ],
    )


def downgrade() -> None:
    op.drop_table("dl_store_meta")
