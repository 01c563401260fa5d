"""Experiment tracking: projects, runs, metric chunks and blocks, artifacts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dl_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "dl_runs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.Float(), nullable=True),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("system", sa.JSON(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("host", sa.String(length=256), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["project_id"], ["dl_projects.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dl_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dl_runs_project_created", ["project_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_dl_runs_status"), ["status"], unique=False)

    op.create_table(
        "dl_artifacts",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["dl_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "name"),
    )
    op.create_table(
        "dl_metric_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("last_value", sa.Float(), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["dl_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "key"),
    )
    op.create_table(
        "dl_run_fields",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=300), nullable=False),
        sa.Column("num", sa.Float(), nullable=True),
        sa.Column("text", sa.String(length=512), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["dl_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "field"),
    )
    with op.batch_alter_table("dl_run_fields", schema=None) as batch_op:
        batch_op.create_index("ix_dl_run_fields_num", ["field", "num"], unique=False)
        batch_op.create_index("ix_dl_run_fields_text", ["field", "text"], unique=False)

    op.create_table(
        "dl_metric_blocks",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("step_lo", sa.BigInteger(), nullable=False),
        sa.Column("step_hi", sa.BigInteger(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=True),
        sa.Column("vmax", sa.Float(), nullable=True),
        sa.Column("step_at_min", sa.BigInteger(), nullable=True),
        sa.Column("step_at_max", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["key_id"], ["dl_metric_keys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_id", "level", "block"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "dl_metric_chunks",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("step_lo", sa.BigInteger(), nullable=False),
        sa.Column("step_hi", sa.BigInteger(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=True),
        sa.Column("vmax", sa.Float(), nullable=True),
        sa.Column("step_at_min", sa.BigInteger(), nullable=True),
        sa.Column("step_at_max", sa.BigInteger(), nullable=True),
        sa.Column("steps", sa.LargeBinary(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=False),
        sa.Column("vals", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["dl_metric_keys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("key_id", "chunk"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("dl_metric_chunks")
    op.drop_table("dl_metric_blocks")
    with op.batch_alter_table("dl_run_fields", schema=None) as batch_op:
        batch_op.drop_index("ix_dl_run_fields_text")
        batch_op.drop_index("ix_dl_run_fields_num")

    op.drop_table("dl_run_fields")
    op.drop_table("dl_metric_keys")
    op.drop_table("dl_artifacts")
    with op.batch_alter_table("dl_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dl_runs_status"))
        batch_op.drop_index("ix_dl_runs_project_created")

    op.drop_table("dl_runs")
    op.drop_table("dl_projects")
