"""SQLAlchemy models shared by every domain.

Each domain adds its tables here (or in a module imported here) so Alembic's
autogenerate sees one metadata.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    """The declarative base whose metadata the migrations describe."""


class StoreMeta(Base):
    """Facts about the store itself, such as the id that tells two stores apart."""

    __tablename__ = "dl_store_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Shared:
    """Columns of what a team shares (``jupyter_dl.access``): an owner, and the group it
    is shared with (none: private) and whether that group may write or only read."""

    owner: Mapped[str | None] = mapped_column(String(128), index=True)
    group_name: Mapped[str | None] = mapped_column(String(128), index=True)
    group_access: Mapped[str] = mapped_column(String(8), default="read", server_default="read")


class Project(Shared, Base):
    """A named group of runs, the unit people browse and share."""

    __tablename__ = "dl_projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class Run(Base):
    """One tracked execution: its settings, outcome, and where it ran.

    Times are UNIX seconds (floats): portable across databases and cheap to sort.
    """

    __tablename__ = "dl_runs"
    __table_args__ = (Index("ix_dl_runs_project_created", "project_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("dl_projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    system: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(128))
    host: Mapped[str | None] = mapped_column(String(256))
    pid: Mapped[int | None] = mapped_column(Integer)


class RunField(Base):
    """One config value or summary value of a run, indexed for filtering and sorting.

    A copy of ``Run.config`` / the summary, flattened to ``config.<key>`` and
    ``summary.<key>``: filtering 10k runs by a parameter is an index lookup
    instead of parsing every run's JSON.
    """

    __tablename__ = "dl_run_fields"
    __table_args__ = (
        Index("ix_dl_run_fields_num", "field", "num"),
        Index("ix_dl_run_fields_text", "field", "text"),
    )

    run_id: Mapped[str] = mapped_column(
        ForeignKey("dl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(300), primary_key=True)
    num: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str | None] = mapped_column(String(512))


class MetricKey(Base):
    """A metric series of a run (``loss``, ``system/cpu_percent``) and its running stats."""

    __tablename__ = "dl_metric_keys"
    __table_args__ = (UniqueConstraint("run_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("dl_runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(256))
    count: Mapped[int] = mapped_column(Integer, default=0)
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_value: Mapped[float | None] = mapped_column(Float)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)


class MetricChunk(Base):
    """Up to 256 consecutive steps of one series, packed as arrays.

    A row per chunk rather than per point: a million points are four thousand
    rows, written and read in milliseconds. The chunk's count, range and extremes
    (with their steps) sit beside the arrays, so charts of long series never
    unpack them. Values are IEEE doubles: NaN and infinity are kept as logged.
    """

    __tablename__ = "dl_metric_chunks"
    __table_args__ = {"sqlite_with_rowid": False}

    key_id: Mapped[int] = mapped_column(
        ForeignKey("dl_metric_keys.id", ondelete="CASCADE"), primary_key=True
    )
    chunk: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    step_lo: Mapped[int] = mapped_column(BigInteger)
    step_hi: Mapped[int] = mapped_column(BigInteger)
    vmin: Mapped[float | None] = mapped_column(Float)
    vmax: Mapped[float | None] = mapped_column(Float)
    step_at_min: Mapped[int | None] = mapped_column(BigInteger)
    step_at_max: Mapped[int | None] = mapped_column(BigInteger)
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    times: Mapped[bytes] = mapped_column(LargeBinary)
    vals: Mapped[bytes] = mapped_column(LargeBinary)


class MetricBlock(Base):
    """Extremes of a series over 16**level chunks: charts of very long series read these."""

    __tablename__ = "dl_metric_blocks"
    __table_args__ = {"sqlite_with_rowid": False}

    key_id: Mapped[int] = mapped_column(
        ForeignKey("dl_metric_keys.id", ondelete="CASCADE"), primary_key=True
    )
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    step_lo: Mapped[int] = mapped_column(BigInteger)
    step_hi: Mapped[int] = mapped_column(BigInteger)
    vmin: Mapped[float | None] = mapped_column(Float)
    vmax: Mapped[float | None] = mapped_column(Float)
    step_at_min: Mapped[int | None] = mapped_column(BigInteger)
    step_at_max: Mapped[int | None] = mapped_column(BigInteger)


class Artifact(Base):
    """A file stored with a run; the bytes live under the artifacts root."""

    __tablename__ = "dl_artifacts"

    run_id: Mapped[str] = mapped_column(
        ForeignKey("dl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(512), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)


class Dataset(Shared, Base):
    """A named dataset: its catalog entry. Its versions live in the dataset repository
    (git + DVC); ``DatasetVersion`` rows summarise them for browsing."""

    __tablename__ = "dl_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class DatasetVersion(Base):
    """One version of a dataset: a git commit of its ``.dvc`` file, optionally tagged.

    ``hash`` is DVC's hash of the directory (``<md5>.dir``): equal hashes mean equal
    content. ``indexed`` says whether the version's file list is in ``dl_dataset_files``.
    """

    __tablename__ = "dl_dataset_versions"
    __table_args__ = (
        UniqueConstraint("dataset_id", "commit"),
        UniqueConstraint("dataset_id", "tag"),
        Index("ix_dl_dataset_versions_created", "dataset_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dl_datasets.id", ondelete="CASCADE"))
    commit: Mapped[str] = mapped_column(String(40))
    tag: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    files: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    indexed: Mapped[bool] = mapped_column(Boolean, default=False)


class DatasetFile(Base):
    """One file or directory of a version, from DVC's ``.dir`` manifest, read once.

    Directories are rows too (``is_dir``, ``size`` and ``files`` summed below them), so
    listing a folder of 100k entries is one range scan of the ``(version, parent)``
    indexes, sorted by name or size, with keyset paging; the tree is never walked.
    """

    __tablename__ = "dl_dataset_files"
    __table_args__ = (
        Index("ix_dl_dataset_files_name", "version_id", "parent_dir", "is_dir", "name"),
        Index("ix_dl_dataset_files_size", "version_id", "parent_dir", "is_dir", "size", "name"),
        {"sqlite_with_rowid": False},
    )

    version_id: Mapped[int] = mapped_column(
        ForeignKey("dl_dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    path: Mapped[str] = mapped_column(String(1024), primary_key=True)
    parent_dir: Mapped[str] = mapped_column(String(1024))
    name: Mapped[str] = mapped_column(String(255))
    is_dir: Mapped[bool] = mapped_column(Boolean)
    size: Mapped[int] = mapped_column(BigInteger)
    files: Mapped[int] = mapped_column(Integer)
    md5: Mapped[str | None] = mapped_column(String(32))


class DatasetUsage(Base):
    """Lineage: a run used a dataset version (recorded once per run and version)."""

    __tablename__ = "dl_dataset_usage"
    __table_args__ = (Index("ix_dl_dataset_usage_version", "version_id", "used_at"),)

    run_id: Mapped[str] = mapped_column(
        ForeignKey("dl_runs.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("dl_dataset_versions.id", ondelete="CASCADE"), primary_key=True
    )
    used_at: Mapped[float] = mapped_column(Float)


class Job(Base):
    """A training job: what was launched, on which backend, and how it ended.

    ``status`` moves from ``queued`` (recorded, supervisor starting) to ``running``
    (ranks launched) to one of ``succeeded``, ``failed`` or ``cancelled``.
    ``exit_codes`` holds one entry per rank of the last attempt (None where a rank was
    stopped by the launcher). The logs, the shipped function and its result live in
    the job's folder under the jobs directory; ``pid`` is the job's supervisor, which
    records the outcome even when the process that launched the job has exited.
    """

    __tablename__ = "dl_jobs"
    __table_args__ = (Index("ix_dl_jobs_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    backend: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    nproc: Mapped[int] = mapped_column(Integer)
    gpus: Mapped[int] = mapped_column(Integer)
    devices: Mapped[list[str]] = mapped_column(JSON, default=list)
    command: Mapped[list[str]] = mapped_column(JSON, default=list)
    workdir: Mapped[str] = mapped_column(Text)
    max_restarts: Mapped[int] = mapped_column(Integer)
    restarts: Mapped[int] = mapped_column(Integer, default=0)
    exit_codes: Mapped[list[int | None]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(ForeignKey("dl_runs.id", ondelete="SET NULL"))
    owner: Mapped[str | None] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(256))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_started_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)


class RegisteredModel(Shared, Base):
    """A model in the registry: a name whose versions are published packages."""

    __tablename__ = "dl_models"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class ModelVersion(Base):
    """One published version: its package (weights, exported program, signature) under
    the models directory, the metrics of its run and where it came from (``lineage``)."""

    __tablename__ = "dl_model_versions"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("dl_models.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str | None] = mapped_column(
        ForeignKey("dl_runs.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    program_format: Mapped[str] = mapped_column(String(32))
    weights_format: Mapped[str] = mapped_column(String(32))
    signature: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    path: Mapped[str] = mapped_column(Text)


class ModelAlias(Base):
    """A movable name (``staging``, ``production``, ...) pointing at one version."""

    __tablename__ = "dl_model_aliases"

    model_id: Mapped[str] = mapped_column(
        ForeignKey("dl_models.id", ondelete="CASCADE"), primary_key=True
    )
    alias: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str | None] = mapped_column(String(128))
    set_at: Mapped[float] = mapped_column(Float)


class ModelAliasEvent(Base):
    """Every move of an alias, kept: who pointed it where, and when (``version`` None
    when the alias was removed)."""

    __tablename__ = "dl_model_alias_events"
    __table_args__ = (Index("ix_dl_model_alias_events_model", "model_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("dl_models.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(64))
    version: Mapped[int | None] = mapped_column(Integer)
    previous: Mapped[int | None] = mapped_column(Integer)
    by: Mapped[str | None] = mapped_column(String(128))
    at: Mapped[float] = mapped_column(Float)


class Deployment(Base):
    """A model version served over the Open Inference Protocol by a process on ``host``.

    ``status`` moves from ``starting`` to ``running`` (listening at ``url``) to
    ``stopped`` or ``failed``; ``ref`` is what was asked for (``name@production`` or
    ``name:3``), ``version`` what it resolved to when the deployment started.
    """

    __tablename__ = "dl_deployments"
    __table_args__ = (Index("ix_dl_deployments_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(ForeignKey("dl_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), index=True)
    host: Mapped[str] = mapped_column(String(256))
    port: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_started_at: Mapped[float | None] = mapped_column(Float)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)


class Sweep(Base):
    """A hyperparameter sweep: what is searched, how, and how far it has got.

    The trials themselves live in the sweep's Optuna journal (``SweepJournal``);
    ``counts`` and ``best`` are the coordinator's running summary of them, so listing
    sweeps never replays a journal. ``status`` moves from ``running`` to ``finished``,
    ``failed`` or ``cancelled``. ``pid`` is the process coordinating the sweep (a kernel,
    a script), whose silence beyond the heartbeat timeout ends the sweep as failed.
    """

    __tablename__ = "dl_sweeps"
    __table_args__ = (Index("ix_dl_sweeps_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    project: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str | None] = mapped_column(String(128))
    metric: Mapped[str] = mapped_column(String(256))
    mode: Mapped[str] = mapped_column(String(8))
    pruner: Mapped[str | None] = mapped_column(String(64))
    sampler: Mapped[str] = mapped_column(String(64))
    space: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    trials_requested: Mapped[int] = mapped_column(Integer)
    parallel: Mapped[int] = mapped_column(Integer)
    backend: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    best: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    host: Mapped[str] = mapped_column(String(256))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_started_at: Mapped[float | None] = mapped_column(Float)
    heartbeat_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)


class SweepJournal(Base):
    """One entry of a sweep's Optuna journal, numbered from 0 without gaps.

    Optuna's ``JournalStorage`` rebuilds a study by replaying these entries in order;
    every process of a sweep (coordinator and trial workers) appends to the same
    journal. ``entry`` is the operation as JSON text (text, not a JSON column, so the
    NaN and infinities Optuna may record survive on every database).
    """

    __tablename__ = "dl_sweep_journal"
    __table_args__ = {"sqlite_with_rowid": False}

    sweep_id: Mapped[str] = mapped_column(
        ForeignKey("dl_sweeps.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry: Mapped[str] = mapped_column(Text)
