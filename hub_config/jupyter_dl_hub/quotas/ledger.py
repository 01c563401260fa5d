"""Limits and accounting over the quota database: what the spawner, the quota service
and the CLI (through the service) call.

It knows nothing of tornado or the hub: users and groups arrive as names, time
from a clock, and errors are the platform's typed errors, which the service's
handlers turn into statuses. The decisions themselves are :mod:`.policy`'s.

Accounting rules (docs/admin/quotas.md says the same for admins):

- a server's session opens when the hub accepts its spawn, with the GPUs its
  profile holds, and closes when the hub stops it;
- a server the hub finds gone (it crashed, or stopped while the hub was down)
  is closed at the last time the hub saw it running: use is charged for the
  time the server is known to have run;
- servers still running when a restarted hub looks again keep their session,
  so they keep accruing from their recorded start;
- a session the hub no longer knows of at all is closed at its last sighting
  by :meth:`QuotaLedger.reconcile`.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jupyter_dl.errors import BadRequest, NotFound

from .models import LimitRow, Notice, ServerSession
from .policy import (
    Decision,
    EffectiveLimits,
    Limits,
    LimitsError,
    SpawnRequest,
    Usage,
    budget,
    decide,
    effective_limits,
    gpu_seconds,
    limits_to_json,
    parse_limits,
    window_start,
)
from .settings import QuotaSettings
from .store import QuotaStore

KINDS = ("user", "group")
MAX_PAGE = 1000
NOTICES_SHOWN = 5


@dataclass(frozen=True)
class OpenSession:
    """A server the accounting believes is running."""

    id: int
    user: str
    server: str
    profile: str
    gpus: int
    groups: tuple[str, ...]
    started_at: float
    last_seen_at: float


class QuotaLedger:
    """Limits per user and group, server sessions, usage and notices, in one database."""

    def __init__(
        self,
        store: QuotaStore,
        settings: QuotaSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock

    # Limits ---------------------------------------------------------------------------

    def get_limits(self, kind: str, name: str) -> Limits | None:
        """The limits set for one user or group, None when none are."""
        _check_subject(kind, name)
        with self.store.session() as session:
            row = session.get(LimitRow, (kind, name))
            return _limits(row) if row is not None else None

    def set_limits(
        self, kind: str, name: str, raw: Mapping[str, Any], by: str, *, merge: bool = False
    ) -> Limits:
        """Replace (or with ``merge``, update) the limits of a user or group.

        ``raw`` is the JSON form (:func:`.policy.parse_limits`); a bad field is a
        :class:`BadRequest` and nothing changes. Limits with every field unset are
        removed, which is what "inherit everything" means.
        """
        _check_subject(kind, name)
        try:
            changes = parse_limits(raw, self.settings.profile_slugs)
        except LimitsError as error:
            raise BadRequest(str(error)) from None
        with self.store.session(write=True) as session:
            row = session.get(LimitRow, (kind, name))
            if merge and row is not None:
                current = limits_to_json(_limits(row))
                current.update(raw)
                changes = parse_limits(current, self.settings.profile_slugs)
            if changes.empty:
                if row is not None:
                    session.delete(row)
                return changes
            if row is None:
                row = LimitRow(kind=kind, name=name)
                session.add(row)
            _store_limits(row, changes)
            row.updated_at = self.clock()
            row.updated_by = by
            return changes

    def delete_limits(self, kind: str, name: str) -> None:
        _check_subject(kind, name)
        with self.store.session(write=True) as session:
            row = session.get(LimitRow, (kind, name))
            if row is None:
                raise NotFound(f"No limits are set for {kind} {name!r}.")
            session.delete(row)

    def list_limits(
        self, kind: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Limits set, by kind then name, a page at a time; the next page's cursor."""
        from sqlalchemy import select, tuple_

        if kind is not None and kind not in KINDS:
            raise BadRequest(f"kind must be 'user' or 'group', not {kind!r}.")
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}, not {limit}.")
        query = select(LimitRow).order_by(LimitRow.kind, LimitRow.name).limit(limit + 1)
        if kind is not None:
            query = query.where(LimitRow.kind == kind)
        if cursor:
            after_kind, _, after_name = cursor.partition(":")
            query = query.where(tuple_(LimitRow.kind, LimitRow.name) > (after_kind, after_name))
        with self.store.session() as session:
            rows = list(session.scalars(query))
        items = [_limits_item(row) for row in rows[:limit]]
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return items, (f"{last.kind}:{last.name}" if last is not None else None)

    def effective(self, user: str, groups: Collection[str]) -> EffectiveLimits:
        """The limits that apply to ``user``, a member of ``groups``."""
        from sqlalchemy import and_, or_, select

        condition = and_(LimitRow.kind == "user", LimitRow.name == user)
        if groups:
            condition = or_(
                condition, and_(LimitRow.kind == "group", LimitRow.name.in_(list(groups)))
            )
        with self.store.session() as session:
            rows = list(session.scalars(select(LimitRow).where(condition)))
        own = next((_limits(r) for r in rows if r.kind == "user"), None)
        of_groups = {r.name: _limits(r) for r in rows if r.kind == "group"}
        return effective_limits(user, own, of_groups, self.settings.default_limits)

    # The decision on a spawn ----------------------------------------------------------------

    def usage(self, user: str, period_days: float, *, exclude_server: str | None = None) -> Usage:
        """What ``user`` holds now (but for ``exclude_server``, the one being started)
        and their GPU-seconds in the rolling period."""
        from sqlalchemy import or_, select

        now = self.clock()
        since = window_start(now, period_days)
        query = select(
            ServerSession.server,
            ServerSession.gpus,
            ServerSession.started_at,
            ServerSession.ended_at,
        ).where(
            ServerSession.user == user,
            or_(ServerSession.ended_at.is_(None), ServerSession.ended_at > since),
        )
        with self.store.session() as session:
            rows = session.execute(query).all()
        running = [r for r in rows if r.ended_at is None and r.server != exclude_server]
        return Usage(
            servers=len(running),
            gpus=sum(r.gpus for r in running),
            gpu_seconds=gpu_seconds(((r.started_at, r.ended_at, r.gpus) for r in rows), since, now),
        )

    def check(
        self, user: str, groups: Collection[str], server: str, request: SpawnRequest
    ) -> Decision:
        """Whether ``user`` may start ``server`` as ``request`` asks, now."""
        limits = self.effective(user, groups)
        usage = self.usage(user, limits.period_days, exclude_server=server)
        return decide(request, usage, limits)

    # Accounting -------------------------------------------------------------------------------

    def open_session(
        self, user: str, server: str, profile: str, gpus: int, groups: Sequence[str]
    ) -> int:
        """Record that ``user``'s ``server`` starts now with ``gpus`` GPUs; its id."""
        now = self.clock()
        with self.store.session(write=True) as session:
            record = ServerSession(
                user=user,
                server=server,
                profile=profile,
                gpus=gpus,
                groups=json.dumps(sorted(groups)),
                started_at=now,
                last_seen_at=now,
            )
            session.add(record)
            session.flush()
            return record.id

    def seen(self, session_id: int) -> None:
        """The hub saw the server running now."""
        from sqlalchemy import update

        with self.store.session(write=True) as session:
            session.execute(
                update(ServerSession)
                .where(ServerSession.id == session_id, ServerSession.ended_at.is_(None))
                .values(last_seen_at=self.clock())
            )

    def close_session(self, session_id: int, reason: str, *, stopped_now: bool) -> None:
        """Close a session: now when the hub stopped the server, else at its last sighting."""
        with self.store.session(write=True) as session:
            record = session.get(ServerSession, session_id)
            if record is None or record.ended_at is not None:
                return
            record.ended_at = self.clock() if stopped_now else record.last_seen_at
            record.end_reason = reason

    def open_sessions(self) -> list[OpenSession]:
        from sqlalchemy import select

        query = select(ServerSession).where(ServerSession.ended_at.is_(None))
        with self.store.session() as session:
            return [_open(record) for record in session.scalars(query)]

    def reconcile(self, active: Collection[tuple[str, str]]) -> list[OpenSession]:
        """Close sessions of servers the hub does not list (``active``: (user, server)
        pairs running or starting) and has not seen within the grace period, at their
        last sighting; also any older duplicate of a server's open session. Returns
        the sessions closed."""
        now = self.clock()
        latest: dict[tuple[str, str], OpenSession] = {}
        stale: list[OpenSession] = []
        for record in sorted(self.open_sessions(), key=lambda r: r.started_at):
            key = (record.user, record.server)
            if key in latest:
                stale.append(latest[key])
            latest[key] = record
        for key, record in latest.items():
            if key not in active and now - record.last_seen_at > self.settings.reconcile_grace:
                stale.append(record)
        for record in stale:
            self.close_session(record.id, "reconciled", stopped_now=False)
        return stale

    # What users and admins see ----------------------------------------------------------------

    def status(self, user: str, groups: Collection[str]) -> dict[str, Any]:
        """``user``'s limits, current use, budget and latest notices (the "me" answer)."""
        limits = self.effective(user, groups)
        usage = self.usage(user, limits.period_days)
        since = window_start(self.clock(), limits.period_days)
        return {
            "user": user,
            "groups": sorted(groups),
            "limits": limits.to_json(),
            "usage": {
                "servers": usage.servers,
                "gpus": usage.gpus,
                "gpu_hours": round(usage.gpu_hours, 4),
            },
            "budget": budget(usage.gpu_seconds, limits, self.settings.warn_fraction).to_json(),
            "when_exhausted": self.settings.when_exhausted,
            "notices": self.notices(user, since),
        }

    def report(
        self, since: float, until: float | None = None, by: str = "user"
    ) -> list[dict[str, Any]]:
        """GPU-hours, sessions and what runs now, per user or per group, over a period.

        A session counts the part of it inside [since, until]. Group totals count
        each session for every group its user was in when it started.
        """
        from sqlalchemy import or_, select

        if by not in KINDS:
            raise BadRequest(f"by must be 'user' or 'group', not {by!r}.")
        end = self.clock() if until is None else until
        if end <= since:
            raise BadRequest("The period is empty: 'until' must be after 'since'.")
        query = select(ServerSession).where(
            ServerSession.started_at < end,
            or_(ServerSession.ended_at.is_(None), ServerSession.ended_at > since),
        )
        totals: dict[str, dict[str, Any]] = defaultdict(
            lambda: {"gpu_hours": 0.0, "sessions": 0, "running_servers": 0, "running_gpus": 0}
        )
        with self.store.session() as session:
            records = list(session.scalars(query))
        for record in records:
            keys = [record.user] if by == "user" else json.loads(record.groups)
            seconds = gpu_seconds([(record.started_at, record.ended_at, record.gpus)], since, end)
            for key in keys:
                entry = totals[key]
                entry["gpu_hours"] += seconds / 3600
                entry["sessions"] += 1
                if record.ended_at is None:
                    entry["running_servers"] += 1
                    entry["running_gpus"] += record.gpus
        rows = [
            {by: key, **entry, "gpu_hours": round(entry["gpu_hours"], 4)}
            for key, entry in totals.items()
        ]
        return sorted(rows, key=lambda row: (-row["gpu_hours"], row[by]))

    def add_notice(self, user: str, kind: str, message: str) -> None:
        with self.store.session(write=True) as session:
            session.add(Notice(user=user, kind=kind, message=message, created_at=self.clock()))

    def notices(self, user: str, since: float) -> list[dict[str, Any]]:
        """``user``'s latest notices since ``since``, newest first."""
        from sqlalchemy import select

        query = (
            select(Notice)
            .where(Notice.user == user, Notice.created_at >= since)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(NOTICES_SHOWN)
        )
        with self.store.session() as session:
            return [
                {"kind": n.kind, "message": n.message, "created_at": n.created_at}
                for n in session.scalars(query)
            ]

    def has_notice(self, user: str, kind: str, since: float) -> bool:
        from sqlalchemy import select

        query = select(Notice.id).where(
            Notice.user == user, Notice.kind == kind, Notice.created_at >= since
        )
        with self.store.session() as session:
            return session.execute(query.limit(1)).first() is not None


def _check_subject(kind: str, name: str) -> None:
    if kind not in KINDS:
        raise BadRequest(f"Limits are set for a 'user' or a 'group', not a {kind!r}.")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise BadRequest(f"A {kind} name must be 1 to 255 characters, not {name!r}.")


def _limits(row: LimitRow) -> Limits:
    profiles: frozenset[str] | None = None
    if row.allowed_profiles is not None:
        stored = json.loads(row.allowed_profiles)
        profiles = parse_limits({"allowed_profiles": stored}).allowed_profiles
    return Limits(
        max_gpus=row.max_gpus,
        gpu_hours=row.gpu_hours,
        period_days=row.period_days,
        max_servers=row.max_servers,
        allowed_profiles=profiles,
    )


def _store_limits(row: LimitRow, limits: Limits) -> None:
    row.max_gpus = limits.max_gpus
    row.gpu_hours = limits.gpu_hours
    row.period_days = limits.period_days
    row.max_servers = limits.max_servers
    profiles = limits_to_json(limits)["allowed_profiles"]
    row.allowed_profiles = None if profiles is None else json.dumps(profiles)


def _limits_item(row: LimitRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "name": row.name,
        "limits": limits_to_json(_limits(row)),
        "updated_at": row.updated_at,
        "updated_by": row.updated_by,
    }


def _open(record: ServerSession) -> OpenSession:
    return OpenSession(
        id=record.id,
        user=record.user,
        server=record.server,
        profile=record.profile,
        gpus=record.gpus,
        groups=tuple(json.loads(record.groups)),
        started_at=record.started_at,
        last_seen_at=record.last_seen_at,
    )
