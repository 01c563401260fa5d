"""The platform store: one SQLAlchemy database for every domain.

Importing this package is cheap: SQLAlchemy and Alembic are imported only when
a store is opened, so a Jupyter server starts without paying for them.
"""

from .store import Store, head_revision, redact_url, sqlite_path

__all__ = ["Store", "head_revision", "redact_url", "sqlite_path"]
