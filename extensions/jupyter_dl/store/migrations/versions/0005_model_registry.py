"""Model registry: models, their published versions, aliases with history, deployments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dl_models",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "dl_model_versions",
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("program_format", sa.String(length=32), nullable=False),
        sa.Column("weights_format", sa.String(length=32), nullable=False),
        sa.Column("signature", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["dl_models.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["dl_runs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("model_id", "version"),
    )
    with op.batch_alter_table("dl_model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dl_model_versions_run_id"), ["run_id"], unique=False)
    op.create_table(
        "dl_model_aliases",
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=128), nullable=True),
        sa.Column("set_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["dl_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "alias"),
    )
    op.create_table(
        "dl_model_alias_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("previous", sa.Integer(), nullable=True),
        sa.Column("by", sa.String(length=128), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["dl_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dl_model_alias_events", schema=None) as batch_op:
        batch_op.create_index("ix_dl_model_alias_events_model", ["model_id", "at"], unique=False)
    op.create_table(
        "dl_deployments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("model_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("host", sa.String(length=256), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_started_at", sa.Float(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("ended_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["model_id"], ["dl_models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dl_deployments", schema=None) as batch_op:
        batch_op.create_index("ix_dl_deployments_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_dl_deployments_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dl_deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dl_deployments_status"))
        batch_op.drop_index("ix_dl_deployments_created")
    op.drop_table("dl_deployments")
    with op.batch_alter_table("dl_model_alias_events", schema=None) as batch_op:
        batch_op.drop_index("ix_dl_model_alias_events_model")
    op.drop_table("dl_model_alias_events")
    op.drop_table("dl_model_aliases")
    with op.batch_alter_table("dl_model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dl_model_versions_run_id"))
    op.drop_table("dl_model_versions")
    op.drop_table("dl_models")
