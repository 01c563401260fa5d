"""Runs, their metrics and artifacts: the tracking domain, over the platform store.

Everything the Experiments panel, the REST API and the notebook logger do goes
through :class:`TrackingService`. It knows nothing of HTTP or IPython; errors
are ``PlatformError`` subclasses that name what is wrong.

Metric points are stored in chunks with min/max summaries (``series.py``), so
a chart of a million-point series reads a few hundred rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from ..access import Access, where_visible
from ..errors import BadRequest, Conflict, NotFound
from ..pages import MAX_LIMIT, Page, check_editable, iso_time, next_cursor, page_window
from ..processes import process_alive
from ..store import Store
from . import series
from .values import encode

STATUSES = ("running", "finished", "failed", "crashed", "killed")
FINAL_STATUSES = frozenset({"finished", "failed", "killed"})
SORTABLE = ("created_at", "name", "status", "duration", "ended_at")
MAX_NAME = 256
SYSTEM_PREFIX = "system/"

_FILTER = re.compile(
    r"^\s*(?P<field>[A-Za-z_][\w./\-]*)\s*(?P<op>>=|<=|!=|=|>|<|~)\s*(?P<value>.*?)\s*$"
)
_KEY = re.compile(r"^[\w.\-/ :@]{1,256}$")


@dataclass
class RunQuery:
    """What the runs table asks for: filters, sort and page, validated."""

    project: str | None = None
    q: str | None = None
    filters: list[str] = field(default_factory=list)
    sort: str = "created_at"
    order: str = "desc"
    limit: int = 50
    cursor: str | None = None
    archived: str = "false"
    count: bool = False
    #: Only runs of projects this user may read (None: every run).
    visible: Access | None = None


class TrackingService:
    """Projects, runs, metrics and artifacts in one store.

    ``artifacts_dir`` holds artifact bytes (``<run id>/<name>``);
    ``heartbeat_timeout`` is how long a running run may stay silent before it
    is marked ``crashed``.
    """

    def __init__(self, store: Store, artifacts_dir: Path, heartbeat_timeout: float = 120.0):
        self.store = store
        self.artifacts_dir = Path(artifacts_dir)
        self.heartbeat_timeout = heartbeat_timeout
        self.host = socket.gethostname()

    # ----------------------------------------------------------------- projects

    def list_projects(
        self, limit: int = 50, cursor: str | None = None, visible: Access | None = None
    ) -> Page:
        """Projects with their run counts, the most recently active first; with
        ``visible``, only those that user may read, each with who holds it."""
        from sqlalchemy import func, select

        from ..store.models import Project, Run

        limit, offset = page_window(limit, cursor)
        stmt = (
            select(
                Project.name,
                Project.created_at,
                func.count(Run.id),
                func.max(Run.created_at),
                Project.owner,
                Project.group_name,
                Project.group_access,
            )
            .outerjoin(Run, Run.project_id == Project.id)
            .where(*where_visible(visible, Project))
            .group_by(Project.id)
            .order_by(func.coalesce(func.max(Run.created_at), Project.created_at).desc())
            .offset(offset)
            .limit(limit + 1)
        )
        with self.store.session() as s:
            rows = s.execute(stmt).all()
        items = [
            {
                "name": n,
                "runs": c,
                "created_at": iso_time(t),
                "last_run_at": iso_time(last),
                "owner": owner,
                "group": group,
                "group_access": group_access,
            }
            for n, t, c, last, owner, group, group_access in rows[:limit]
        ]
        return Page(items, next_cursor(offset, limit, len(rows)))

    # --------------------------------------------------------------------- runs

    def create_run(
        self,
        project: str,
        name: str | None = None,
        config: dict[str, Any] | None = None,
        tags: Sequence[str] | None = None,
        notes: str | None = None,
        system: dict[str, Any] | None = None,
        owner: str | None = None,
        run_id: str | None = None,
    ) -> dict[str, Any]:
        """Start a run in ``project`` (created on first use); returns the run."""
        from sqlalchemy import func, select

        from ..store.models import Project, Run

        project = _check_name(project, "project")
        config = _check_dict(config, "config")
        tags = _check_tags(tags)
        system = _check_dict(system, "system")
        run_id = run_id or secrets.token_hex(6)
        if not re.fullmatch(r"[a-z0-9]{6,32}", run_id):
            raise BadRequest(f"run id {run_id!r} must be 6-32 lowercase letters or digits")
        now = time.time()
        with self.store.session(write=True) as s:
            proj = s.scalar(select(Project).where(Project.name == project))
            if proj is None:
                proj = Project(name=project, owner=owner, created_at=now)
                s.add(proj)
                s.flush()
            if s.get(Run, run_id) is not None:
                raise Conflict(f"a run with id {run_id!r} already exists")
            count = s.scalar(select(func.count(Run.id)).where(Run.project_id == proj.id)) or 0
            run = Run(
                id=run_id,
                project_id=proj.id,
                name=_check_name(name, "run name") if name else _run_name(count + 1),
                status="running",
                created_at=now,
                heartbeat_at=now,
                config=config,
                summary={},
                tags=tags,
                notes=notes or "",
                system=system,
                archived=False,
                owner=owner,
                host=system.get("host") or self.host,
                pid=system.get("pid"),
            )
            s.add(run)
            s.flush()
            _replace_fields(s, run.id, "config", config)
            return _run_json(run, project)

    def get_run(self, run_id: str) -> dict[str, Any]:
        """The run with its metric series and artifact count."""
        from sqlalchemy import func, select

        from ..store.models import Artifact, MetricKey

        self.reap_crashed()
        with self.store.session() as s:
            run, project = self._run(s, run_id)
            keys = s.scalars(
                select(MetricKey).where(MetricKey.run_id == run_id).order_by(MetricKey.key)
            ).all()
            artifacts = s.scalar(select(func.count()).where(Artifact.run_id == run_id))
            body = _run_json(run, project)
        body["metrics"] = [
            {
                "key": k.key,
                "count": k.count,
                "last": encode(k.last_value),
                "last_step": k.last_step,
                "min": encode(k.min_value) if k.min_value is not None else None,
                "max": encode(k.max_value) if k.max_value is not None else None,
            }
            for k in keys
        ]
        body["artifacts"] = artifacts or 0
        return body

    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit what people edit (name, tags, notes, archived) or end/resume a run.

        ``summary`` merges into the run's summary; ``config`` merges into its config;
        ``status`` ends the run (``finished``, ``failed``, ``killed``).
        """
        check_editable(
            changes,
            {"name", "tags", "notes", "archived", "status", "summary", "config", "exit_code"},
        )
        with self.store.session(write=True) as s:
            run, project = self._run(s, run_id)
            if "name" in changes:
                run.name = _check_name(changes["name"], "run name")
            if "tags" in changes:
                run.tags = _check_tags(changes["tags"])
            if "notes" in changes:
                if not isinstance(changes["notes"], str):
                    raise BadRequest("notes must be a string")
                run.notes = changes["notes"]
            if "archived" in changes:
                if not isinstance(changes["archived"], bool):
                    raise BadRequest("archived must be true or false")
                run.archived = changes["archived"]
            if "config" in changes:
                run.config = {**run.config, **_check_dict(changes["config"], "config")}
                _replace_fields(s, run.id, "config", run.config)
            if "summary" in changes:
                updates = _check_dict(changes["summary"], "summary")
                run.summary = {**run.summary, **updates}
                _upsert_fields(s, run.id, "summary", updates)
            if "exit_code" in changes:
                if not isinstance(changes["exit_code"], int):
                    raise BadRequest("exit_code must be an integer")
                run.exit_code = changes["exit_code"]
            if "status" in changes:
                self._set_status(run, changes["status"])
            return _run_json(run, project)

    def finish_run(
        self, run_id: str, status: str = "finished", exit_code: int | None = None
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {"status": status}
        if exit_code is not None:
            changes["exit_code"] = exit_code
        return self.update_run(run_id, changes)

    def heartbeat(self, run_id: str) -> None:
        """The run's process is alive; a crashed-looking run that speaks again is running."""
        with self.store.session(write=True) as s:
            run, _ = self._run(s, run_id)
            self._touch(run)

    def delete_run(self, run_id: str) -> None:
        """Remove the run, its metrics and its artifact files."""
        from sqlalchemy import delete

        from ..store.models import Run

        with self.store.session(write=True) as s:
            self._run(s, run_id)
            s.execute(delete(Run).where(Run.id == run_id))
        shutil.rmtree(self.artifacts_dir / run_id, ignore_errors=True)

    def list_runs(self, query: RunQuery) -> Page:
        """The runs table: filtered, sorted by any column, paged.

        The exact ``total`` costs a pass over every matching run, so it is only
        computed when asked for (``query.count``); the page itself reads no more
        rows than it returns when sorted by an indexed value.
        """
        from sqlalchemy import func, select

        from ..store.models import Project, Run

        self.reap_crashed()
        limit, offset = page_window(query.limit, query.cursor)
        where = self._where(query)
        base = select(Run, Project.name).join(Project, Project.id == Run.project_id).where(*where)
        with self.store.session() as s:
            if query.sort.startswith(("config.", "summary.")):
                rows = self._page_by_field(s, base, query, offset, limit + 1)
            else:
                stmt = base.order_by(*self._order(query)).offset(offset).limit(limit + 1)
                rows = list(s.execute(stmt).all())
            total = None
            if query.count:
                count = select(func.count(Run.id)).join(Project, Project.id == Run.project_id)
                total = s.scalar(count.where(*where)) or 0
            items = [_run_json(run, project) for run, project in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)), total)

    def columns(
        self, project: str | None = None, visible: Access | None = None
    ) -> dict[str, list[str]]:
        """The config and summary keys present in a project's runs, for column pickers."""
        from sqlalchemy import select

        from ..store.models import Project, Run, RunField

        stmt = (
            select(RunField.field)
            .distinct()
            .join(Run, Run.id == RunField.run_id)
            .join(Project, Project.id == Run.project_id)
            .where(*where_visible(visible, Project))
        )
        if project:
            stmt = stmt.where(Project.name == project)
        with self.store.session() as s:
            fields = sorted(s.scalars(stmt).all())
        return {
            kind: [f.split(".", 1)[1] for f in fields if f.startswith(kind + ".")]
            for kind in ("config", "summary")
        }

    def export_csv(self, query: RunQuery) -> Iterator[str]:
        """Every run matching ``query`` (all pages) as CSV lines, config and summary flattened."""
        runs: list[dict[str, Any]] = []
        page_query = RunQuery(**{**query.__dict__, "limit": MAX_LIMIT, "cursor": None})
        while True:
            page = self.list_runs(page_query)
            runs.extend(page.items)
            if page.next_cursor is None:
                break
            page_query.cursor = page.next_cursor
        config_keys = sorted({k for r in runs for k in _flatten(r["config"])})
        summary_keys = sorted({k for r in runs for k in _flatten(r["summary"])})
        head = ["id", "project", "name", "status", "created_at", "ended_at", "duration", "tags"]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            head + [f"config.{k}" for k in config_keys] + [f"summary.{k}" for k in summary_keys]
        )
        yield _drain(buffer)
        for r in runs:
            config, summary = _flatten(r["config"]), _flatten(r["summary"])
            writer.writerow(
                [r[h] if h != "tags" else ";".join(r["tags"]) for h in head]
                + [_cell(config.get(k)) for k in config_keys]
                + [_cell(summary.get(k)) for k in summary_keys]
            )
            yield _drain(buffer)

    def reap_crashed(self) -> int:
        """Mark running runs whose process is gone (or silent too long) as ``crashed``."""
        from sqlalchemy import select

        from ..store.models import Run

        now = time.time()
        with self.store.session() as s:
            running = s.scalars(select(Run).where(Run.status == "running")).all()
            dead = [r.id for r in running if self._is_dead(r, now)]
        if not dead:
            return 0  # the common case stays a read, never taking the write lock
        with self.store.session(write=True) as s:
            for run in s.scalars(select(Run).where(Run.id.in_(dead), Run.status == "running")):
                if self._is_dead(run, now):
                    run.status = "crashed"
                    run.ended_at = run.heartbeat_at or run.created_at
        return len(dead)

    # ------------------------------------------------------------------ metrics

    def log_points(self, run_id: str, points: Iterable[tuple[str, int, float, float]]) -> int:
        """Store ``(key, step, time, value)`` points; see :meth:`log_series`."""
        columns: dict[str, tuple[list[int], list[float], list[float]]] = {}
        for key, step, t, value in points:
            steps, times, values = columns.setdefault(key, ([], [], []))
            steps.append(step)
            times.append(t)
            values.append(value)
        return self.log_series(run_id, columns)

    def log_series(
        self, run_id: str, columns: dict[str, tuple[list[int], list[float], list[float]]]
    ) -> int:
        """Store points given per key as (steps, times, values); a step logged again replaces.

        Everything is validated before anything is written: one bad point rejects
        the batch. Returns the number of points written.
        """
        for key, (steps, times, values) in columns.items():
            _check_series(key, steps, times, values)
        columns = {k: v for k, v in columns.items() if v[0]}
        if not columns:
            return 0
        with self.store.session(write=True) as s:
            run, _ = self._run(s, run_id, lock=True)
            if run.status in FINAL_STATUSES:
                raise Conflict(f"run {run_id} is {run.status}; start a new run to log more")
            key_ids = self._key_ids(s, run_id, columns)
            conn = s.connection()
            last: dict[str, float | None] = {}
            for key, (steps, times, values) in columns.items():
                series.write_series(conn, key_ids[key], steps, times, values)
                last[key] = self._refresh_key(conn, key_ids[key])
            metrics = {k: encode(v) for k, v in last.items() if not k.startswith(SYSTEM_PREFIX)}
            if metrics:
                run.summary = {**run.summary, **metrics}
                _upsert_fields(s, run.id, "summary", metrics)
            self._touch(run)
        return sum(len(v[0]) for v in columns.values())

    def series(
        self,
        run_id: str,
        key: str,
        points: int = 1000,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> dict[str, Any]:
        """A metric for charts: every point when few, else min and max per bucket."""
        from sqlalchemy import select

        from ..store.models import MetricKey

        if not 2 <= points <= 100_000:
            raise BadRequest("points must be between 2 and 100000")
        with self.store.session() as s:
            self._run(s, run_id)
            mk = s.scalar(select(MetricKey).where(MetricKey.run_id == run_id, MetricKey.key == key))
            if mk is None:
                raise NotFound(f"run {run_id} has no metric {key!r}")
            lo = 0 if min_step is None else max(0, min_step)
            hi = (mk.last_step or 0) if max_step is None else max_step
            conn = s.connection()
            whole = min_step is None and max_step is None
            total = mk.count if whole else series.count_in_range(conn, mk.id, lo, hi)
            times: list[float] = []
            if total <= points * 16:
                steps, times, values = series.read_points(conn, mk.id, lo, hi)
                downsampled = len(steps) > points
                if downsampled:
                    steps, times, values = series.downsample(steps, times, values, points)
            else:
                parts = series.extremes_in_range(conn, mk.id, lo, hi, points // 2)
                steps, values = series.downsample_extremes(parts, lo, hi, points)
                downsampled = True
        return {
            "key": key,
            "steps": steps,
            "values": [encode(v) for v in values],
            "times": times,
            "total": total,
            "downsampled": downsampled,
        }

    def compare(
        self, run_ids: Sequence[str], keys: Sequence[str], points: int = 600
    ) -> dict[str, Any]:
        """Several runs side by side: their settings, and each key's series per run."""
        if not 1 <= len(run_ids) <= 50:
            raise BadRequest("compare between 1 and 50 runs")
        runs = [self.get_run(r) for r in run_ids]
        wanted = list(keys) or sorted({m["key"] for r in runs for m in r["metrics"]})
        series: dict[str, dict[str, Any]] = {}
        for key in wanted:
            per_run = {}
            for run in runs:
                if any(m["key"] == key for m in run["metrics"]):
                    data = self.series(run["id"], key, points)
                    per_run[run["id"]] = {"steps": data["steps"], "values": data["values"]}
            series[key] = per_run
        summary = [
            {k: r[k] for k in ("id", "name", "project", "status", "config", "summary")}
            for r in runs
        ]
        return {"runs": summary, "series": series}

    # ---------------------------------------------------------------- artifacts

    def add_artifact(
        self, run_id: str, name: str, source: bytes | IO[bytes] | Path
    ) -> dict[str, Any]:
        """Store a file with a run, atomically: a crash never leaves half a file."""
        from ..store.models import Artifact

        name = check_artifact_name(name)
        with self.store.session() as s:
            self._run(s, run_id)
        target = self.artifacts_dir / run_id / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                raise IsADirectoryError(str(target))
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            raise Conflict(
                f"artifact {name!r} clashes with another artifact of run {run_id}: one name"
                " cannot be both a file and a folder"
            ) from None
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(source):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        created = time.time()
        sha256 = digest.hexdigest()
        with self.store.session(write=True) as s:
            s.merge(
                Artifact(run_id=run_id, name=name, size=size, sha256=sha256, created_at=created)
            )
        return {"name": name, "size": size, "sha256": sha256, "created_at": iso_time(created)}

    def list_artifacts(self, run_id: str, limit: int = 200, cursor: str | None = None) -> Page:
        from sqlalchemy import select

        from ..store.models import Artifact

        limit, offset = page_window(limit, cursor)
        with self.store.session() as s:
            self._run(s, run_id)
            rows = s.scalars(
                select(Artifact)
                .where(Artifact.run_id == run_id)
                .order_by(Artifact.name)
                .offset(offset)
                .limit(limit + 1)
            ).all()
            items = [
                {
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.sha256,
                    "created_at": iso_time(a.created_at),
                }
                for a in rows[:limit]
            ]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def artifact_file(self, run_id: str, name: str) -> Path:
        """The file behind an artifact, for streaming; 404 when unknown."""
        from ..store.models import Artifact

        name = check_artifact_name(name)
        with self.store.session() as s:
            self._run(s, run_id)
            if s.get(Artifact, (run_id, name)) is None:
                raise NotFound(f"run {run_id} has no artifact {name!r}")
        path = self.artifacts_dir / run_id / name
        if not path.is_file():
            raise NotFound(
                f"the file of artifact {name!r} of run {run_id} is missing from {path.parent}"
            )
        return path

    # ---------------------------------------------------------------- internals

    def _run(self, s: Any, run_id: str, lock: bool = False) -> tuple[Any, str]:
        """The run and its project's name; ``lock`` serialises writers on a server database."""
        from ..store.models import Project, Run

        run = s.get(Run, run_id, with_for_update=lock) if isinstance(run_id, str) else None
        if run is None:
            raise NotFound(f"no run with id {run_id!r}")
        project = s.get(Project, run.project_id)
        return run, project.name

    def _touch(self, run: Any) -> None:
        run.heartbeat_at = time.time()
        if run.status == "crashed":
            run.status = "running"
            run.ended_at = None

    def _set_status(self, run: Any, status: Any) -> None:
        if status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
        if run.status in FINAL_STATUSES and status != run.status:
            raise Conflict(f"run {run.id} is already {run.status}")
        run.status = status
        if status == "running":
            self._touch(run)
        else:
            run.ended_at = run.ended_at or time.time()

    def _is_dead(self, run: Any, now: float) -> bool:
        if run.heartbeat_at is not None and now - run.heartbeat_at > self.heartbeat_timeout:
            return True
        return (
            run.host == self.host
            and run.pid is not None
            and not process_alive(run.pid, run.created_at)
        )

    def _key_ids(self, s: Any, run_id: str, by_key: dict[str, Any]) -> dict[str, int]:
        from sqlalchemy import select

        from ..store.models import MetricKey

        existing = dict(
            s.execute(
                select(MetricKey.key, MetricKey.id).where(
                    MetricKey.run_id == run_id, MetricKey.key.in_(list(by_key))
                )
            ).all()
        )
        for key in by_key:
            if key not in existing:
                mk = MetricKey(run_id=run_id, key=key, count=0)
                s.add(mk)
                s.flush()
                existing[key] = mk.id
        return existing

    def _refresh_key(self, conn: Any, key_id: int) -> float | None:
        """Recompute a series' count, extremes and last point; returns its last value."""
        from sqlalchemy import update

        from ..store.models import MetricKey

        count, ext, last_step, last_value = series.key_stats(conn, key_id)
        conn.execute(
            update(MetricKey)
            .where(MetricKey.id == key_id)
            .values(
                count=count,
                min_value=ext.vmin if ext else None,
                max_value=ext.vmax if ext else None,
                last_step=last_step,
                last_value=last_value,
            )
        )
        return last_value

    def _where(self, query: RunQuery) -> list[Any]:
        from sqlalchemy import func

        from ..store.models import Project, Run

        where: list[Any] = list(where_visible(query.visible, Project))
        if query.project:
            where.append(Project.name == query.project)
        if query.archived not in ("true", "false", "all"):
            raise BadRequest("archived must be true, false or all")
        if query.archived != "all":
            where.append(Run.archived.is_(query.archived == "true"))
        if query.q:
            where.append(func.lower(Run.name).contains(query.q.lower(), autoescape=True))
        where.extend(_filter_clause(f) for f in query.filters)
        return where

    def _order(self, query: RunQuery) -> list[Any]:
        from sqlalchemy import func

        from ..store.models import Run

        desc = self._descending(query)
        if query.sort not in SORTABLE:
            raise BadRequest(
                f"cannot sort by {query.sort!r}; sort by {', '.join(SORTABLE)},"
                " config.<key> or summary.<key>"
            )
        column: Any
        if query.sort == "duration":
            column = func.coalesce(Run.ended_at, Run.heartbeat_at, Run.created_at) - Run.created_at
        else:
            column = getattr(Run, query.sort)
        first = (column.desc() if desc else column.asc()).nulls_last()
        return [first, Run.id.desc() if desc else Run.id.asc()]

    def _page_by_field(self, s: Any, base: Any, query: RunQuery, offset: int, n: int) -> list[Any]:
        """A page sorted by a config or summary value: numbers first, in index order,
        then text values, then runs without the value.

        Walking the ``(field, num)`` index lets the database stop after ``n`` rows
        instead of sorting every matching run.
        """
        from sqlalchemy import func, select
        from sqlalchemy.orm import aliased

        from ..store.models import Run, RunField

        desc = self._descending(query)
        by_id = Run.id.desc() if desc else Run.id.asc()
        num = aliased(RunField)
        numeric = base.join(
            num, (num.run_id == Run.id) & (num.field == query.sort) & num.num.is_not(None)
        )
        rows = list(
            s.execute(
                numeric.order_by(num.num.desc() if desc else num.num.asc(), by_id)
                .offset(offset)
                .limit(n)
            ).all()
        )
        if len(rows) == n:
            return rows
        # The page runs past the numbers: continue with text values and missing ones.
        numbers = s.scalar(select(func.count()).select_from(numeric.subquery())) or 0
        txt = aliased(RunField)
        rest = base.outerjoin(txt, (txt.run_id == Run.id) & (txt.field == query.sort)).where(
            txt.num.is_(None)
        )
        text_order = txt.text.desc() if desc else txt.text.asc()
        rest = rest.order_by(txt.text.is_(None), text_order, by_id)
        rows += s.execute(rest.offset(max(0, offset - numbers)).limit(n - len(rows))).all()
        return rows

    @staticmethod
    def _descending(query: RunQuery) -> bool:
        if query.order not in ("asc", "desc"):
            raise BadRequest("order must be asc or desc")
        return query.order == "desc"


# ------------------------------------------------------------------- fields


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"opt": {"lr": 0.1}}`` → ``{"opt.lr": 0.1}``: nested config becomes columns."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _field_row(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, bool):
        return float(value), str(value).lower()
    if isinstance(value, (int, float)):
        return (float(value) if math.isfinite(value) else None), None
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return None, value
    if isinstance(value, str):
        return None, value[:512]
    return None, json.dumps(value)[:512]


def _replace_fields(s: Any, run_id: str, kind: str, values: dict[str, Any]) -> None:
    from sqlalchemy import delete

    from ..store.models import RunField

    s.execute(delete(RunField).where(RunField.run_id == run_id, RunField.field.like(f"{kind}.%")))
    _upsert_fields(s, run_id, kind, values)


def _upsert_fields(s: Any, run_id: str, kind: str, values: dict[str, Any]) -> None:
    from ..store.models import RunField

    for key, value in _flatten(values).items():
        num, txt = _field_row(value)
        s.merge(RunField(run_id=run_id, field=f"{kind}.{key}"[:300], num=num, text=txt))


def _filter_clause(expression: str) -> Any:
    """One filter: ``config.lr>=0.01``, ``summary.acc>0.9``, ``status=finished``,
    ``tag=baseline``, ``name~mnist``."""
    from sqlalchemy import exists, func

    from ..store.functions import position
    from ..store.models import Run, RunField

    match = _FILTER.match(expression)
    if not match:
        raise BadRequest(
            f"cannot read the filter {expression!r}; write <field><op><value> with op one of"
            " = != < <= > >= ~, e.g. config.lr>=0.01 or status=finished"
        )
    name, op, raw = match["field"], match["op"], match["value"]
    if name.startswith(("config.", "summary.")):
        number: float | None = None
        if raw not in ("NaN", "Infinity", "-Infinity"):  # stored as text, like they are sent
            try:
                number = float(raw)
            except ValueError:
                number = None
        column = RunField.num if number is not None and op != "~" else RunField.text
        value: Any = number if column is RunField.num else raw
        cond = _compare(column, op, value)
        return exists().where(RunField.run_id == Run.id, RunField.field == name, cond)
    if name == "tag":
        if op not in ("=", "!="):
            raise BadRequest("tag filters use = or !=")
        has = func.coalesce(position(func.cast(Run.tags, _text_type()), json.dumps(raw)), 0) > 0
        return has if op == "=" else ~has
    columns = {
        "status": Run.status,
        "name": Run.name,
        "host": Run.host,
        "owner": Run.owner,
        "id": Run.id,
    }
    if name not in columns:
        raise BadRequest(
            f"cannot filter by {name!r}; filter by config.<key>, summary.<key>, "
            + ", ".join(["tag", *columns])
        )
    if name == "status" and op == "=" and raw not in STATUSES:
        raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
    return _compare(columns[name], op, raw)


def _text_type() -> Any:
    from sqlalchemy import Text

    return Text()


def _compare(column: Any, op: str, value: Any) -> Any:
    if op == "~":  # case-insensitive on every database, as LIKE is on SQLite
        return column.icontains(str(value), autoescape=True)
    return {
        "=": column == value,
        "!=": column != value,
        "<": column < value,
        "<=": column <= value,
        ">": column > value,
        ">=": column >= value,
    }[op]


# ------------------------------------------------------------------- checks


def check_artifact_name(name: Any) -> str:
    """A relative POSIX path inside the run's folder; never absolute, never ``..``."""
    if not isinstance(name, str) or not name or len(name) > 512:
        raise BadRequest(
            "artifact name must be a non-empty relative path of at most 512 characters"
        )
    path = PurePosixPath(name)
    if path.is_absolute() or "\\" in name or any(p in ("..", ".", "") for p in name.split("/")):
        raise BadRequest(f"artifact name {name!r} must be a relative path without '..' or '.'")
    if any(ord(c) < 32 for c in name):
        raise BadRequest(f"artifact name {name!r} contains control characters")
    return str(path)


def _check_series(key: Any, steps: list[Any], times: list[Any], values: list[Any]) -> None:
    _check_key(key)
    if not len(steps) == len(times) == len(values):
        raise BadRequest(f"metric {key!r}: steps, times and values differ in length")
    if not steps:
        return
    if not set(map(type, steps)) <= {int} or min(steps) < 0:
        bad = next(s for s in steps if type(s) is not int or s < 0)
        raise BadRequest(f"metric {key!r}: step {bad!r} must be a non-negative integer")
    if not set(map(type, times)) <= {float} or not all(map(math.isfinite, times)):
        bad = next(t for t in times if type(t) is not float or not math.isfinite(t))
        raise BadRequest(f"metric {key!r}: time {bad!r} must be finite UNIX seconds")
    if not set(map(type, values)) <= {float}:
        bad = next(v for v in values if type(v) is not float)
        raise BadRequest(f"metric {key!r}: value {bad!r} is not a number")


def _check_key(key: Any) -> None:
    if not isinstance(key, str) or not _KEY.match(key) or key.startswith("/") or "//" in key:
        raise BadRequest(f"metric key {key!r} must be 1-256 letters, digits, spaces or . - / : @ _")


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise BadRequest(f"{what} must be a non-empty string of at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise BadRequest(f"{what} {name!r} contains control characters")
    return name.strip()


def _check_dict(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be an object of key/value pairs")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise BadRequest(f"{what} must be JSON-serialisable: {e}") from None
    return value


def _check_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, (list, tuple)) or not all(
        isinstance(t, str) and 0 < len(t) <= 64 for t in tags
    ):
        raise BadRequest("tags must be a list of strings of 1-64 characters")
    return list(dict.fromkeys(tags))


# ----------------------------------------------------------------- helpers


def _run_json(run: Any, project: str) -> dict[str, Any]:
    end = (
        run.ended_at
        if run.ended_at is not None
        else (run.heartbeat_at if run.status == "running" else None)
    )
    return {
        "id": run.id,
        "project": project,
        "name": run.name,
        "status": run.status,
        "created_at": iso_time(run.created_at),
        "ended_at": iso_time(run.ended_at),
        "heartbeat_at": iso_time(run.heartbeat_at),
        "duration": (end - run.created_at) if end is not None else None,
        "exit_code": run.exit_code,
        "config": run.config,
        "summary": run.summary,
        "tags": run.tags,
        "notes": run.notes,
        "archived": run.archived,
        "owner": run.owner,
        "host": run.host,
        "system": run.system,
    }


_ADJECTIVES = [
    "amber",
    "brave",
    "calm",
    "deft",
    "eager",
    "fair",
    "gentle",
    "hardy",
    "keen",
    "lucid",
    "merry",
    "noble",
    "quick",
    "rapid",
    "sunny",
    "swift",
    "vivid",
    "wise",
]
_NOUNS = [
    "badger",
    "cedar",
    "comet",
    "delta",
    "ember",
    "falcon",
    "harbor",
    "iris",
    "lynx",
    "maple",
    "nova",
    "orbit",
    "otter",
    "pine",
    "raven",
    "river",
    "sparrow",
    "tide",
]


def _run_name(n: int) -> str:
    """Readable default names (``swift-otter-7``): easier to talk about than ids."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{n}"


def _chunks(source: bytes | IO[bytes] | Path) -> Iterator[bytes]:
    if isinstance(source, bytes):
        yield source
        return
    if isinstance(source, Path):
        with source.open("rb") as f:
            yield from iter(lambda: f.read(1 << 20), b"")
        return
    yield from iter(lambda: source.read(1 << 20), b"")


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return json.dumps(value) if isinstance(value, (list, dict)) else value
