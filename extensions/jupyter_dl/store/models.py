"""SQLAlchemy models shared by every domain.

Each domain adds its tables here (or in a module imported here) so Alembic's
autogenerate sees one metadata.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, String
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
