"""Deployments: model versions served over the Open Inference Protocol, tracked.

A deployment is a row in the store (what was asked for, the version it resolved
to, where it listens, who started it, how it ended) and a detached process,
``python -m jupyter_dl.registry.deploy <id>``, that loads the version's package
and runs the inference server (``serving.py``). Like a training job's supervisor,
the process runs in a session of its own, so it outlives the kernel or server
that started it, and it records its own state: ``running`` with its URL once
listening, ``stopped`` after SIGTERM, ``failed`` with the reason otherwise. A
process that vanished without a word is marked failed the next time deployments
are read.
"""

from __future__ import annotations

import builtins
import os
import secrets
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import processes
from ..access import Access, where_visible
from ..errors import BadRequest, Conflict, LaunchFailed, NotFound
from ..pages import Page, iso_time, next_cursor, page_window
from .service import LIVE_DEPLOYMENTS, parse_ref

if TYPE_CHECKING:
    from ..store import Store
    from .client import TeamRegistry
    from .service import RegistryService

STATUSES = ("starting", "running", "stopped", "failed")
FINAL = frozenset({"stopped", "failed"})
DEPLOY_MODULE = "jupyter_dl.registry.deploy"
#: Settings a deployment takes, with their defaults.
DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 0,
    "max_batch_size": 32,
    "max_wait_ms": 0.0,
    "device": None,
}
MAX_BATCH = 65536


class DeploymentService:
    """Deployments of one registry; their logs and ready files under ``root``.

    With ``team`` (a server pointed at the team's platform), the versions served are
    the team's: resolved through its API and served from a verified local copy of
    their package. The deployments themselves stay in this server's store, as they
    are processes on its machine; each refers to a record of the team model's id and
    name there.
    """

    def __init__(
        self,
        store: Store,
        registry: RegistryService,
        root: Path | None = None,
        team: TeamRegistry | None = None,
    ) -> None:
        self.store = store
        self.registry = registry
        self.team = team
        self.root = Path(root) if root is not None else registry.models_dir / ".deployments"
        self.host = socket.gethostname()

    @property
    def models(self) -> RegistryService | TeamRegistry:
        """Where the versions served come from: the team's registry, else this store's."""
        return self.team if self.team is not None else self.registry

    def log_file(self, deployment_id: str) -> Path:
        return self.root / f"{deployment_id}.log"

    # ---------------------------------------------------------------- start

    def create(self, ref: str, user: str | None = None, **settings: Any) -> dict[str, Any]:
        """Record a deployment of ``ref`` (``name@alias``, ``name:3``, ``name``) with its
        settings checked; the caller runs it (``start`` detaches a process for it)."""
        from ..store.models import Deployment

        checked = check_settings(settings)
        name, _, _ = parse_ref(ref)
        version = self.models.resolve(ref)
        model = self.models.get_model(name)
        now = time.time()
        deployment_id = secrets.token_hex(6)
        with self.store.session(write=True) as s:
            if self.team is not None:
                _record_team_model(s, model, now)
            s.add(
                Deployment(
                    id=deployment_id,
                    model_id=model["id"],
                    version=version["version"],
                    ref=ref.strip(),
                    status="starting",
                    host=self.host,
                    port=checked["port"] or None,
                    url=None,
                    pid=None,
                    pid_started_at=None,
                    settings=checked,
                    error=None,
                    started_by=user,
                    created_at=now,
                )
            )
        return self.get(deployment_id)

    def start(self, ref: str, user: str | None = None, **settings: Any) -> dict[str, Any]:
        """Deploy ``ref`` in a detached server process; returns the deployment, usually
        still ``starting`` (see :meth:`wait_ready`)."""
        deployment = self.create(ref, user, **settings)
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            pid, started = spawn(deployment["id"], self.log_file(deployment["id"]), self._env())
        except OSError as e:
            self.finish(deployment["id"], "failed", f"the server process did not start: {e}")
            raise LaunchFailed(f"deployment {deployment['id']} did not start: {e}") from e
        with self.store.session(write=True) as s:
            row = self._row(s, deployment["id"])
            if row.pid is None:
                row.pid, row.pid_started_at = pid, started
        return self.get(deployment["id"])

    def wait_ready(self, deployment_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """The deployment once it listens; :class:`LaunchFailed` with its reason when it
        failed or did not get there within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get(deployment_id)
            if deployment["status"] == "running":
                return deployment
            if deployment["status"] in FINAL:
                raise LaunchFailed(
                    f"deployment {deployment_id} {deployment['status']}: {deployment['error']}"
                )
            if time.monotonic() > deadline:
                raise LaunchFailed(
                    f"deployment {deployment_id} is not ready after {timeout:.0f}s; see"
                    f" {self.log_file(deployment_id)}"
                )
            time.sleep(0.1)

    # -------------------------------------------------- bookkeeping (process)

    def mark_running(self, deployment_id: str, url: str, port: int, pid: int) -> bool:
        """The server listens at ``url``; False when the deployment was stopped meanwhile."""
        with self.store.session(write=True) as s:
            row = self._row(s, deployment_id)
            if row.status != "starting":
                return False
            row.status, row.url, row.port = "running", url, port
            row.pid = pid
            row.pid_started_at = processes.create_time(pid) or row.pid_started_at
            row.started_at = time.time()
        return True

    def claim(self, deployment_id: str, pid: int) -> dict[str, Any]:
        """The process ``pid`` runs this deployment (a foreground ``jupyter dl serve``)."""
        with self.store.session(write=True) as s:
            row = self._row(s, deployment_id)
            row.pid, row.pid_started_at = pid, processes.create_time(pid)
            return self._json(s, row)

    def finish(self, deployment_id: str, status: str, error: str | None = None) -> dict[str, Any]:
        """Record how a deployment ended; the first outcome recorded stays."""
        if status not in FINAL:
            raise BadRequest(f"a deployment ends as one of {', '.join(sorted(FINAL))}")
        with self.store.session(write=True) as s:
            row = self._row(s, deployment_id)
            if row.status not in FINAL:
                row.status, row.error, row.ended_at = status, error, time.time()
            return self._json(s, row)

    # ----------------------------------------------------------------- read

    def get(self, deployment_id: str) -> dict[str, Any]:
        self.reap_lost()
        with self.store.session() as s:
            return self._json(s, self._row(s, deployment_id))

    def list(
        self,
        status: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """Deployments, newest first; ``status`` keeps one (or ``live``: starting or
        running), ``visible`` those that user started."""
        from sqlalchemy import select

        from ..store.models import Deployment

        self.reap_lost()
        limit, offset = page_window(limit, cursor)
        stmt = (
            select(Deployment)
            .where(*where_visible(visible, Deployment, Deployment.started_by))
            .order_by(Deployment.created_at.desc(), Deployment.id.desc())
        )
        if status == "live":
            stmt = stmt.where(Deployment.status.in_(LIVE_DEPLOYMENTS))
        elif status:
            if status not in STATUSES:
                raise BadRequest(f"status must be live or one of {', '.join(STATUSES)}")
            stmt = stmt.where(Deployment.status == status)
        with self.store.session() as s:
            rows = s.scalars(stmt.offset(offset).limit(limit + 1)).all()
            items = [self._json(s, row) for row in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def live_here(self) -> builtins.list[dict[str, Any]]:
        """Deployments starting or running on this host, oldest first, once lost ones
        are marked failed."""
        from sqlalchemy import select

        from ..store.models import Deployment

        self.reap_lost()
        stmt = (
            select(Deployment)
            .where(Deployment.status.in_(LIVE_DEPLOYMENTS), Deployment.host == self.host)
            .order_by(Deployment.created_at, Deployment.id)
        )
        with self.store.session() as s:
            return [self._json(s, row) for row in s.scalars(stmt).all()]

    def log_tail(self, deployment_id: str, limit: int = 64 * 1024) -> str:
        """The end of the server process's output."""
        self.get(deployment_id)
        path = self.log_file(deployment_id)
        try:
            with path.open("rb") as f:
                f.seek(max(0, path.stat().st_size - limit))
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def live_url(self, deployment_id: str) -> tuple[dict[str, Any], str]:
        """A running deployment and its URL; 409 naming its state otherwise."""
        deployment = self.get(deployment_id)
        if deployment["status"] != "running" or not deployment["url"]:
            raise Conflict(f"deployment {deployment_id} is {deployment['status']}, not running")
        return deployment, deployment["url"]

    # ----------------------------------------------------------------- stop

    def stop(self, deployment_id: str, grace: float = 15.0) -> dict[str, Any]:
        """Stop a deployment's server (it drains requests in flight); returns it, ``stopped``."""
        deployment = self.get(deployment_id)
        if deployment["status"] in FINAL:
            return deployment
        if deployment["host"] != self.host:
            raise Conflict(
                f"deployment {deployment_id} runs on {deployment['host']}; stop it from there"
            )
        with self.store.session() as s:
            row = self._row(s, deployment_id)
            pid, since = row.pid, row.pid_started_at or 0.0
        if pid is not None:
            left = processes.stop(processes.tree(pid, since), grace=grace)
            if left:
                return self.finish(deployment_id, "failed", f"processes {left} did not stop")
        return self.finish(deployment_id, "stopped")

    def reap_lost(self) -> int:
        """Mark deployments whose process on this host is gone as failed."""
        from sqlalchemy import select

        from ..store.models import Deployment

        with self.store.session() as s:
            live = s.scalars(
                select(Deployment).where(
                    Deployment.status.in_(LIVE_DEPLOYMENTS), Deployment.host == self.host
                )
            ).all()
            lost = [
                d.id
                for d in live
                if d.pid is not None and not processes.process_alive(d.pid, d.pid_started_at or 0)
            ]
        for deployment_id in lost:
            self.finish(
                deployment_id,
                "failed",
                "the server process exited without recording why; see"
                f" {self.log_file(deployment_id)}",
            )
        return len(lost)

    # ------------------------------------------------------------ internals

    def _env(self) -> dict[str, str]:
        """What the server process needs to find the version where this service does."""
        if self.team is None:
            return {}
        from ..platform_client import API_TOKEN_ENV, API_URL_ENV

        client = self.team.client
        return {API_URL_ENV: client.url, **({API_TOKEN_ENV: client.token} if client.token else {})}

    def _row(self, s: Any, deployment_id: str) -> Any:
        from ..store.models import Deployment

        row = s.get(Deployment, deployment_id) if isinstance(deployment_id, str) else None
        if row is None:
            raise NotFound(f"no deployment with id {deployment_id!r}")
        return row

    def _json(self, s: Any, row: Any) -> dict[str, Any]:
        from ..store.models import RegisteredModel

        model = s.get(RegisteredModel, row.model_id)
        end = row.ended_at if row.ended_at is not None else time.time()
        return {
            "id": row.id,
            "model": model.name if model is not None else None,
            "version": row.version,
            "ref": row.ref,
            "status": row.status,
            "host": row.host,
            "port": row.port,
            "url": row.url,
            "pid": row.pid,
            "settings": row.settings,
            "error": row.error,
            "started_by": row.started_by,
            "created_at": iso_time(row.created_at),
            "started_at": iso_time(row.started_at),
            "ended_at": iso_time(row.ended_at),
            "uptime": (end - row.started_at) if row.started_at else None,
        }


def check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A deployment's settings with defaults filled in; a 400 naming the bad one."""
    unknown = set(settings) - set(DEFAULTS)
    if unknown:
        raise BadRequest(
            f"unknown deployment settings {', '.join(sorted(unknown))}; use {', '.join(DEFAULTS)}"
        )
    merged = {**DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
    if not isinstance(merged["host"], str) or not merged["host"]:
        raise BadRequest("host must be an address to listen on, such as 127.0.0.1")
    port = merged["port"]
    if type(port) is not int or not 0 <= port <= 65535:
        raise BadRequest(f"port must be between 0 (any free port) and 65535, not {port!r}")
    batch = merged["max_batch_size"]
    if type(batch) is not int or not 1 <= batch <= MAX_BATCH:
        raise BadRequest(f"max_batch_size must be between 1 and {MAX_BATCH}, not {batch!r}")
    wait = merged["max_wait_ms"]
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or not 0 <= wait <= 10_000:
        raise BadRequest(f"max_wait_ms must be between 0 and 10000, not {wait!r}")
    merged["max_wait_ms"] = float(wait)
    device = merged["device"]
    if device is not None and (not isinstance(device, str) or not device):
        raise BadRequest(f"device must be a torch device such as 'cpu' or 'cuda:0', not {device!r}")
    return merged


def spawn(
    deployment_id: str, log_file: Path, env: dict[str, str] | None = None
) -> tuple[int, float]:
    """Start the server process of a deployment, detached; its pid and start time."""
    return processes.spawn_detached(
        [sys.executable, "-m", DEPLOY_MODULE, deployment_id],
        log_file,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
    )


def _record_team_model(s: Any, model: dict[str, Any], now: float) -> None:
    """The local record a deployment of a team model refers to: the model's id and name
    (its versions stay the team's). A model of this server's own registry with that name
    is refused: the deployment could not tell the two apart."""
    from sqlalchemy import select

    from ..store.models import RegisteredModel

    if s.get(RegisteredModel, model["id"]) is not None:
        return
    clash = s.scalar(select(RegisteredModel.id).where(RegisteredModel.name == model["name"]))
    if clash is not None:
        raise Conflict(
            f"this server's own registry also has a model named {model['name']!r}: delete or"
            " rename it there to deploy the team's"
        )
    s.add(
        RegisteredModel(
            id=model["id"],
            name=model["name"],
            description="",
            owner=model.get("owner"),
            latest_version=0,
            created_at=now,
            updated_at=now,
        )
    )
    s.flush()  # before the deployment that refers to it


def metrics_summary(text: str) -> dict[str, Any]:
    """A server's Prometheus exposition, reduced to what the Models panel charts:
    request counts by status code, errors, latency and batch-size histograms
    (cumulative buckets), and requests in flight, all as of ``time``."""
    from prometheus_client.parser import text_string_to_metric_families

    summary: dict[str, Any] = {
        "time": time.time(),
        "requests": {},
        "errors": 0.0,
        "latency": {"count": 0.0, "sum": 0.0, "buckets": []},
        "batch_size": {"count": 0.0, "sum": 0.0, "buckets": []},
        "in_flight": 0.0,
    }
    histograms = {
        "dl_serving_request_duration_seconds": "latency",
        "dl_serving_batch_size": "batch_size",
    }
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if name == "dl_serving_requests_total":
                code = labels.get("code", "?")
                summary["requests"][code] = summary["requests"].get(code, 0.0) + value
            elif name == "dl_serving_errors_total":
                summary["errors"] += value
            elif name == "dl_serving_in_flight_requests":
                summary["in_flight"] = value
            elif family.name in histograms:
                histogram = summary[histograms[family.name]]
                if name.endswith("_bucket"):
                    histogram["buckets"].append([_le(labels.get("le")), value])
                elif name.endswith("_count"):
                    histogram["count"] = value
                elif name.endswith("_sum"):
                    histogram["sum"] = value
    return summary


def _le(bound: Any) -> float | None:
    """A histogram bucket's upper bound; None for +Inf (JSON has no infinity)."""
    value = float(bound) if bound is not None else float("inf")
    return None if value == float("inf") else value
