"""Paged lists, request checks and response times that every domain's service shares.

Every list the platform serves is a page (``items`` plus the ``next_cursor``
of the following page); cursors are opaque to clients. Edits name the fields
they may change, and anything else is refused with the list of what is editable.
Times are stored as UNIX seconds and answered as ISO 8601 in UTC.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .errors import BadRequest

MAX_LIMIT = 500


@dataclass
class Page:
    """One page of a list, and the cursor of the next (None at the end)."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"items": self.items, "next_cursor": self.next_cursor}
        if self.total is not None:
            body["total"] = self.total
        return body


def page_window(limit: Any, cursor: str | None) -> tuple[int, int]:
    """``(limit, offset)`` of a request; a bad limit or a forged cursor is a 400."""
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if not cursor:
        return limit, 0
    try:
        offset = int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"])
    except (ValueError, KeyError, TypeError):
        raise BadRequest("cursor is not one this server returned") from None
    return limit, max(0, offset)


def next_cursor(offset: int, limit: int, fetched: int) -> str | None:
    """The cursor after a page that fetched ``limit + 1`` rows to learn whether more exist."""
    if fetched <= limit:
        return None
    return base64.urlsafe_b64encode(json.dumps({"o": offset + limit}).encode()).decode()


def check_editable(changes: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse an edit naming fields outside ``allowed``, listing what may be changed."""
    allowed = set(allowed)
    unknown = set(changes) - allowed
    if unknown:
        raise BadRequest(
            f"cannot change {', '.join(sorted(unknown))}; editable: {', '.join(sorted(allowed))}"
        )


def iso_time(t: float | None) -> str | None:
    """A stored time (UNIX seconds) as clients receive it: ISO 8601 in UTC, or None."""
    return None if t is None else datetime.fromtimestamp(t, timezone.utc).isoformat()
