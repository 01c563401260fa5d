"""The quota database's tables: limits, server sessions (the accounting) and notices.

Their own declarative base and metadata, and names prefixed ``dlq_``, so the
tables can live in JupyterHub's or the platform's database without touching
theirs. Times are UTC epoch seconds (floats): GPU-seconds are differences of
them, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """The declarative base whose metadata the quota migrations describe."""

    metadata = MetaData()


class LimitRow(Base):
    """Limits an admin set for one user (``kind="user"``) or one group (``"group"``).

    A NULL column is "not set here"; infinity is "unlimited". ``allowed_profiles``
    is a JSON list of slugs, ``"*"`` for all, or NULL.
    """

    __tablename__ = "dlq_limits"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    max_gpus: Mapped[float | None] = mapped_column(Float)
    gpu_hours: Mapped[float | None] = mapped_column(Float)
    period_days: Mapped[float | None] = mapped_column(Float)
    max_servers: Mapped[float | None] = mapped_column(Float)
    allowed_profiles: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str] = mapped_column(String(255), default="")


class ServerSession(Base):
    """One server from its start to its stop: who, which profile, how many GPUs, when.

    Open while ``ended_at`` is NULL. ``last_seen_at`` is the last time the hub
    saw the server running; a server found gone is closed then. ``groups`` is
    the JSON list of the user's groups at the start, which group reports use.
    """

    __tablename__ = "dlq_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(255))
    server: Mapped[str] = mapped_column(String(255), default="")
    profile: Mapped[str] = mapped_column(String(255), default="")
    gpus: Mapped[int] = mapped_column(Integer, default=0)
    groups: Mapped[str] = mapped_column(Text, default="[]")
    started_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    end_reason: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        # A user's open sessions and those of their rolling period: every spawn.
        Index("ix_dlq_sessions_user_ended", "user", "ended_at"),
        # Reports over a period, and open sessions of everyone.
        Index("ix_dlq_sessions_ended", "ended_at"),
    )


class Notice(Base):
    """Something the quota system told a user: a warning near the limit, a stop at it.

    The enforcer writes one per user, kind and period so that it warns once;
    the user's status bar and ``%dl_quota`` show the latest.
    """

    __tablename__ = "dlq_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_dlq_notices_user_created", "user", "created_at"),)
