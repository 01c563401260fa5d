"""Hyperparameter sweeps: each sweep's settings and progress, and its Optuna journal.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dl_sweeps",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("project", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("metric", sa.String(length=256), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("pruner", sa.String(length=64), nullable=True),
        sa.Column("sampler", sa.String(length=64), nullable=False),
        sa.Column("space", sa.JSON(), nullable=False),
        sa.Column("trials_requested", sa.Integer(), nullable=False),
        sa.Column("parallel", sa.Integer(), nullable=False),
        sa.Column("backend", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("best", sa.JSON(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("host", sa.String(length=256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_started_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dl_sweeps", schema=None) as batch_op:
        batch_op.create_index("ix_dl_sweeps_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dl_sweeps_status"), ["status"], unique=False)

    op.create_table(
        "dl_sweep_journal",
        sa.Column("sweep_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["sweep_id"], ["dl_sweeps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sweep_id", "seq"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("dl_sweep_journal")
    with op.batch_alter_table("dl_sweeps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dl_sweeps_status"))
        batch_op.drop_index("ix_dl_sweeps_created")

    op.drop_table("dl_sweeps")
