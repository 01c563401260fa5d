"""Quotas: limits per user and group, server sessions (GPU accounting), notices.

Revision ID: q0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "q0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dlq_limits",
        sa.Column("kind", sa.String(8), primary_key=True),
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("max_gpus", sa.Float(), nullable=True),
        sa.Column("gpu_hours", sa.Float(), nullable=True),
        sa.Column("period_days", sa.Float(), nullable=True),
        sa.Column("max_servers", sa.Float(), nullable=True),
        sa.Column("allowed_profiles", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
    )
    op.create_table(
        "dlq_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("server", sa.String(255), nullable=False),
        sa.Column("profile", sa.String(255), nullable=False),
        sa.Column("gpus", sa.Integer(), nullable=False),
        sa.Column("groups", sa.Text(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
    )
    op.create_index("ix_dlq_sessions_user_ended", "dlq_sessions", ["user", "ended_at"])
    op.create_index("ix_dlq_sessions_ended", "dlq_sessions", ["ended_at"])
    op.create_table(
        "dlq_notices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_dlq_notices_user_created", "dlq_notices", ["user", "created_at"])


def downgrade() -> None:
    op.drop_table("dlq_notices")
    op.drop_table("dlq_sessions")
    op.drop_table("dlq_limits")
