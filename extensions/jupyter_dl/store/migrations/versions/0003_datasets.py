"""Datasets: catalog, versions, the file index of each version, lineage.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dl_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "dl_dataset_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("commit", sa.String(length=40), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("indexed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["dl_datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "commit"),
        sa.UniqueConstraint("dataset_id", "tag"),
    )
    with op.batch_alter_table("dl_dataset_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dl_dataset_versions_created", ["dataset_id", "created_at"], unique=False
        )

    op.create_table(
        "dl_dataset_files",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("parent_dir", sa.String(length=1024), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("is_dir", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["dl_dataset_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "path"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("dl_dataset_files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dl_dataset_files_name", ["version_id", "parent_dir", "is_dir", "name"], unique=False
        )
        batch_op.create_index(
            "ix_dl_dataset_files_size",
            ["version_id", "parent_dir", "is_dir", "size", "name"],
            unique=False,
        )

    op.create_table(
        "dl_dataset_usage",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["dl_runs.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["version_id"], ["dl_dataset_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("run_id", "version_id"),
    )
    with op.batch_alter_table("dl_dataset_usage", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dl_dataset_usage_version", ["version_id", "used_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dl_dataset_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_dl_dataset_usage_version")

    op.drop_table("dl_dataset_usage")
    with op.batch_alter_table("dl_dataset_files", schema=None) as batch_op:
        batch_op.drop_index("ix_dl_dataset_files_size")
        batch_op.drop_index("ix_dl_dataset_files_name")

    op.drop_table("dl_dataset_files")
    with op.batch_alter_table("dl_dataset_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_dl_dataset_versions_created")

    op.drop_table("dl_dataset_versions")
    op.drop_table("dl_datasets")
