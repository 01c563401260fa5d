"""Sharing: projects, datasets and models may be shared with a group, to read or write.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SHARED = ("dl_projects", "dl_datasets", "dl_models")


def upgrade() -> None:
    for table in SHARED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("group_name", sa.String(length=128), nullable=True))
            access = sa.Column(
                "group_access", sa.String(length=8), nullable=False, server_default="read"
            )
            batch_op.add_column(access)
            batch_op.create_index(f"ix_{table}_owner", ["owner"])
            batch_op.create_index(f"ix_{table}_group_name", ["group_name"])


def downgrade() -> None:
    for table in SHARED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_group_name")
            batch_op.drop_index(f"ix_{table}_owner")
            batch_op.drop_column("group_access")
            batch_op.drop_column("group_name")
