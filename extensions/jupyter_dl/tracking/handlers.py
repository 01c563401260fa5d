"""REST routes of experiment tracking: thin wrappers over ``TrackingService``.

Every service call runs on a worker thread (it does blocking database and file
I/O), so a slow query never stalls the server's event loop.
"""

from __future__ import annotations

from typing import Any

from tornado import web

from ..errors import BadRequest, PayloadTooLarge
from ..web import PlatformHandler, api_path
from .service import RunQuery, TrackingService
from .values import decode

#: Largest metrics batch accepted in one request; clients send more requests.
MAX_METRICS_BODY = 16 * 1024 * 1024
MAX_POINTS_PER_REQUEST = 200_000
RUN_ID = r"(?P<run_id>[a-z0-9]{6,32})"


class TrackingHandler(PlatformHandler):
    guards = {"run_id": "run"}

    @property
    def tracking(self) -> TrackingService:
        service: TrackingService = self.settings["dl_tracking"]
        return service

    def run_query(self) -> RunQuery:
        return RunQuery(
            project=self.get_query_argument("project", None) or None,
            q=self.get_query_argument("q", None) or None,
            filters=[f for f in self.get_query_arguments("filter") if f.strip()],
            sort=self.get_query_argument("sort", "created_at"),
            order=self.get_query_argument("order", "desc"),
            limit=self.int_argument("limit", 50) or 50,
            cursor=self.get_query_argument("cursor", None) or None,
            archived=self.get_query_argument("archived", "false"),
            count=self.get_query_argument("count", "false") == "true",
            visible=self.access,
        )


class ProjectsHandler(TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.tracking.list_projects,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None),
            self.access,
        )
        self.finish(page.to_json())


class RunsHandler(TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(self.tracking.list_runs, self.run_query())
        self.finish(page.to_json())

    @web.authenticated
    async def post(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict) or "project" not in body:
            raise BadRequest('a new run needs a JSON object with at least "project"')
        allowed = {"project", "name", "config", "tags", "notes", "system", "id"}
        unknown = set(body) - allowed
        if unknown:
            raise BadRequest(f"unknown fields {', '.join(sorted(unknown))}")
        if isinstance(body["project"], str):
            # New runs go into a project the user owns, or may write as a group member.
            await self.check("project", body["project"], write=True)
        owner = self.user_name
        run = await self.call(
            lambda: self.tracking.create_run(
                body["project"],
                name=body.get("name"),
                config=body.get("config"),
                tags=body.get("tags"),
                notes=body.get("notes"),
                system=body.get("system"),
                owner=owner,
                run_id=body.get("id"),
            )
        )
        self.set_status(201)
        self.finish(run)


class ColumnsHandler(TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        project = self.get_query_argument("project", None) or None
        self.finish(await self.call(self.tracking.columns, project, self.access))


class ExportHandler(TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        lines = await self.call(lambda: list(self.tracking.export_csv(self.run_query())))
        self.set_header("Content-Disposition", 'attachment; filename="runs.csv"')
        for line in lines:
            self.write(line)
        self.finish(set_content_type="text/csv; charset=utf-8")


class RunHandler(TrackingHandler):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        self.finish(await self.call(self.tracking.get_run, run_id))

    @web.authenticated
    async def patch(self, run_id: str) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object of the fields to change")
        self.finish(await self.call(self.tracking.update_run, run_id, body))

    @web.authenticated
    async def delete(self, run_id: str) -> None:
        await self.call(self.tracking.delete_run, run_id)
        self.set_status(204)
        self.finish()


class HeartbeatHandler(TrackingHandler):
    @web.authenticated
    async def post(self, run_id: str) -> None:
        await self.call(self.tracking.heartbeat, run_id)
        self.set_status(204)
        self.finish()


class MetricsHandler(TrackingHandler):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        run = await self.call(self.tracking.get_run, run_id)
        self.finish({"items": run["metrics"], "next_cursor": None})

    @web.authenticated
    async def post(self, run_id: str) -> None:
        if len(self.request.body) > MAX_METRICS_BODY:
            raise PayloadTooLarge(
                f"the metrics body has {len(self.request.body)} bytes; send at most"
                f" {MAX_METRICS_BODY} bytes per request"
            )
        points = parse_points(self.get_json_body())
        written = await self.call(self.tracking.log_points, run_id, points)
        self.finish({"written": written})


class SeriesHandler(TrackingHandler):
    @web.authenticated
    async def get(self, run_id: str, key: str) -> None:
        series = await self.call(
            self.tracking.series,
            run_id,
            key,
            self.int_argument("points", 1000),
            self.int_argument("min_step"),
            self.int_argument("max_step"),
        )
        self.finish(series)


class CompareHandler(TrackingHandler):
    @web.authenticated
    async def get(self) -> None:
        runs = [r for r in self.get_query_argument("runs", "").split(",") if r]
        keys = [k for k in self.get_query_argument("keys", "").split(",") if k]
        points = self.int_argument("points", 600) or 600
        await self.call(self.permissions.check_all, self.access, "run", runs)
        self.finish(await self.call(self.tracking.compare, runs, keys, points))


class ArtifactsHandler(TrackingHandler):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        page = await self.call(
            self.tracking.list_artifacts,
            run_id,
            self.int_argument("limit", 200),
            self.get_query_argument("cursor", None),
        )
        self.finish(page.to_json())


class ArtifactHandler(TrackingHandler):
    @web.authenticated
    async def get(self, run_id: str, name: str) -> None:
        await self.send_file(await self.call(self.tracking.artifact_file, run_id, name))

    @web.authenticated
    async def put(self, run_id: str, name: str) -> None:
        record = await self.call(self.tracking.add_artifact, run_id, name, self.request.body)
        self.set_status(201)
        self.finish(record)


def parse_points(body: Any) -> list[tuple[str, int, float, float]]:
    """Points from ``{"points": [{"key", "step", "value", "time"}]}`` or the compact
    ``{"rows": [[key, step, time, value]]}`` that the HTTP logger sends."""
    import time

    if not isinstance(body, dict) or not ({"points", "rows"} & set(body)):
        raise BadRequest('send {"points": [{"key", "step", "value", "time"}, ...]}')
    now = time.time()
    out: list[tuple[str, int, float, float]] = []
    if "rows" in body:
        rows = body["rows"]
        if not isinstance(rows, list) or not all(isinstance(r, list) and len(r) == 4 for r in rows):
            raise BadRequest("rows must be a list of [key, step, time, value]")
        for key, step, t, value in rows:
            out.append((key, step, _time(t, now), decode(value, str(key))))
    else:
        points = body["points"]
        if not isinstance(points, list):
            raise BadRequest("points must be a list")
        for p in points:
            if not isinstance(p, dict) or not {"key", "step", "value"} <= set(p):
                raise BadRequest('each point needs "key", "step" and "value"')
            key = p["key"]
            out.append((key, p["step"], _time(p.get("time"), now), decode(p["value"], str(key))))
    if len(out) > MAX_POINTS_PER_REQUEST:
        raise PayloadTooLarge(
            f"{len(out)} points in one request; send at most {MAX_POINTS_PER_REQUEST}"
        )
    return out


def _time(value: Any, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"time {value!r} must be UNIX seconds")
    return float(value)


default_handlers = [
    (api_path("projects"), ProjectsHandler),
    (api_path("runs"), RunsHandler),
    (api_path("runs", "columns"), ColumnsHandler),
    (api_path("runs", r"export\.csv"), ExportHandler),
    (api_path("runs", RUN_ID), RunHandler),
    (api_path("runs", RUN_ID, "heartbeat"), HeartbeatHandler),
    (api_path("runs", RUN_ID, "metrics"), MetricsHandler),
    (api_path("runs", RUN_ID, "metrics", r"(?P<key>.+)"), SeriesHandler),
    (api_path("runs", RUN_ID, "artifacts"), ArtifactsHandler),
    (api_path("runs", RUN_ID, "artifacts", r"(?P<name>.+)"), ArtifactHandler),
    (api_path("compare"), CompareHandler),
]
