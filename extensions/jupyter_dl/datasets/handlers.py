"""REST routes of datasets: thin wrappers over ``DatasetService``.

Every service call runs on a worker thread (git, DVC, database and file I/O),
so a slow commit or a big diff never stalls the server's event loop. Paths
inside a dataset arrive URL-encoded in the route and are checked by the service
before anything is looked up.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado import web

from ..errors import BadRequest, Forbidden, PreviewFailed
from ..tracking.handlers import RUN_ID
from ..web import PlatformHandler, api_path
from .manifest import relpath
from .previews import Options
from .service import DatasetService

#: A preview taking longer than this is abandoned (its inputs are bounded too).
PREVIEW_TIMEOUT = 15.0
NAME = r"(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)"
VERSION = r"(?P<version>[^/]+)"
PATH = r"(?P<path>.+)"


class DatasetHandler(PlatformHandler):
    guards = {"name": "dataset", "run_id": "run"}

    @property
    def datasets(self) -> DatasetService:
        service: DatasetService = self.settings["dl_datasets"]
        return service

    def number(self, name: str, default: int) -> int:
        value = self.int_argument(name, default)
        return default if value is None else value

    def page_args(self, default: int = 50) -> tuple[int, str | None]:
        return self.number("limit", default), self.cursor()

    def cursor(self) -> str | None:
        return self.get_query_argument("cursor", None) or None

    def server_path(self, value: Any) -> Path:
        """A folder named relative to the server's root; never one outside it."""
        root = Path(self.settings.get("server_root_dir") or os.getcwd()).resolve()
        target = (root / relpath(value, "path")).resolve()
        if target != root and root not in target.parents:
            raise BadRequest(f"{value!r} leads outside the server's root folder {root}")
        return target

    def body(self, allowed: Collection[str], required: Collection[str] = ()) -> dict[str, Any]:
        body = self.get_json_body()
        if not isinstance(body, dict):
            raise BadRequest("the body must be a JSON object")
        unknown = set(body) - set(allowed)
        if unknown:
            raise BadRequest(f"unknown fields {', '.join(sorted(unknown))}")
        missing = set(required) - set(body)
        if missing:
            raise BadRequest(f"missing fields {', '.join(sorted(missing))}")
        return body

    async def stream(self, file: Path, info: dict[str, Any], attachment: bool) -> None:
        self.set_header("Content-Type", info["mime_type"])
        self.set_header("Etag", f'"{info["md5"]}"')
        self.set_header("Cache-Control", "private, no-cache")
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
            return
        name = quote(info["name"])
        disposition = "attachment" if attachment else "inline"
        self.set_header("Content-Disposition", f"{disposition}; filename*=UTF-8''{name}")
        self.set_header("Content-Length", str(info["size"]))
        with file.open("rb") as f:
            while chunk := f.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=info["mime_type"])


class CatalogHandler(DatasetHandler):
    @web.authenticated
    async def get(self) -> None:
        limit, cursor = self.page_args()
        q = self.get_query_argument("q", None) or None
        page = await self.call(self.datasets.list_datasets, q, limit, cursor, self.access)
        self.finish(page.to_json())

    @web.authenticated
    async def post(self) -> None:
        body = self.body(
            {"name", "path", "description", "tags", "message", "tag"}, {"name", "path"}
        )
        source = self.server_path(body["path"])
        owner = self.user_name
        created = await self.call(
            lambda: self.datasets.create_dataset(
                body["name"],
                source,
                description=body.get("description") or "",
                tags=body.get("tags"),
                owner=owner,
                message=body.get("message"),
                tag=body.get("tag"),
                author=owner,
            )
        )
        self.set_status(201)
        self.finish(created)


class OneDatasetHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.datasets.get_dataset, name))

    @web.authenticated
    async def patch(self, name: str) -> None:
        body = self.body({"description", "tags", "owner"})
        if "owner" in body and not self.access.admin:
            raise Forbidden("only an admin may give a dataset to another user")
        self.finish(await self.call(self.datasets.update_dataset, name, body))


class VersionsHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        limit, cursor = self.page_args()
        self.finish((await self.call(self.datasets.list_versions, name, limit, cursor)).to_json())

    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.body({"path", "message", "tag"}, {"path"})
        source = self.server_path(body["path"])
        author = self.user_name
        version = await self.call(
            lambda: self.datasets.commit(
                name, source, message=body.get("message") or "", tag=body.get("tag"), author=author
            )
        )
        self.set_status(201)
        self.finish(version)


class VersionHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        self.finish(await self.call(self.datasets.get_version, name, version))


class TreeHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        limit, cursor = self.page_args(200)
        page = await self.call(
            self.datasets.tree,
            name,
            version,
            self.get_query_argument("path", ""),
            self.get_query_argument("sort", "name"),
            self.get_query_argument("order", "asc"),
            limit,
            cursor,
        )
        self.finish(page)


class FilesHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        limit, cursor = self.page_args(1000)
        prefix = self.get_query_argument("prefix", "")
        page = await self.call(self.datasets.files, name, version, prefix, limit, cursor)
        self.finish(page.to_json())


class FileHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str, path: str) -> None:
        self.finish(await self.call(self.datasets.file_info, name, version, path))


class RawHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str, path: str) -> None:
        file, info = await self.call(self.datasets.open_file, name, version, path)
        await self.stream(file, info, attachment=self.get_query_argument("inline", "") != "1")


class PreviewHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str, path: str) -> None:
        options = Options(
            size=self.number("size", 256),
            rows=self.number("rows", 20),
            bytes=self.number("bytes", 1024),
        ).checked()
        work = self.call(self.datasets.preview, name, version, path, options)
        try:
            preview = await asyncio.wait_for(work, PREVIEW_TIMEOUT)
        except asyncio.TimeoutError:
            raise PreviewFailed(
                f"previewing {path} took longer than {PREVIEW_TIMEOUT:g} s; download it instead"
            ) from None
        self.finish(preview)


class ThumbnailHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str, path: str) -> None:
        edge = self.number("size", 256)
        target = path
        info = await self.call(self.datasets.file_info, name, version, target)
        # The same content at the same size is the same thumbnail, in any version.
        self.set_header("Etag", f'"{info.get("md5")}-{edge}"')
        self.set_header("Cache-Control", "private, no-cache")
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
            return
        work = self.call(self.datasets.thumbnail, name, version, target, edge)
        try:
            data, kind = await asyncio.wait_for(work, PREVIEW_TIMEOUT)
        except asyncio.TimeoutError:
            raise PreviewFailed(
                f"making a thumbnail of {target} took longer than {PREVIEW_TIMEOUT:g} s"
            ) from None
        self.finish(data, set_content_type=kind)


class DiffHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        start = self.get_query_argument("from", None)
        if not start:
            raise BadRequest("diff needs from=<version> (and to=<version>, default latest)")
        limit, cursor = self.page_args(200)
        result = await self.call(
            self.datasets.diff,
            name,
            start,
            self.get_query_argument("to", "latest") or "latest",
            self.get_query_argument("change", None) or None,
            limit,
            cursor,
        )
        self.finish(result)


class DatasetSharingHandler(DatasetHandler):
    """Who holds a dataset, and sharing it with a group."""

    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.permissions.sharing, self.access, "dataset", name))

    @web.authenticated
    async def put(self, name: str) -> None:
        body = self.get_json_body()
        self.finish(await self.call(self.permissions.share, self.access, "dataset", name, body))


class StatusHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.datasets.status, name))


class VersionRunsHandler(DatasetHandler):
    @web.authenticated
    async def get(self, name: str, version: str) -> None:
        limit, cursor = self.page_args()
        page = await self.call(self.datasets.runs_using, name, version, limit, cursor, self.access)
        self.finish(page.to_json())


class RunDatasetsHandler(DatasetHandler):
    @web.authenticated
    async def get(self, run_id: str) -> None:
        limit, cursor = self.page_args()
        page = await self.call(self.datasets.datasets_of_run, run_id, limit, cursor, self.access)
        self.finish(page.to_json())

    @web.authenticated
    async def post(self, run_id: str) -> None:
        body = self.body({"dataset", "version"}, {"dataset"})
        if isinstance(body["dataset"], str):
            await self.check("dataset", body["dataset"])
        usage = await self.call(
            self.datasets.record_usage, run_id, body["dataset"], body.get("version") or "latest"
        )
        self.finish(usage)


_VERSION = ("datasets", NAME, "versions", VERSION)

default_handlers = [
    (api_path("datasets"), CatalogHandler),
    (api_path("datasets", NAME), OneDatasetHandler),
    (api_path("datasets", NAME, "versions"), VersionsHandler),
    (api_path(*_VERSION), VersionHandler),
    (api_path(*_VERSION, "tree"), TreeHandler),
    (api_path(*_VERSION, "files"), FilesHandler),
    (api_path(*_VERSION, "files", PATH), FileHandler),
    (api_path(*_VERSION, "raw", PATH), RawHandler),
    (api_path(*_VERSION, "preview", PATH), PreviewHandler),
    (api_path(*_VERSION, "thumbnail", PATH), ThumbnailHandler),
    (api_path(*_VERSION, "runs"), VersionRunsHandler),
    (api_path("datasets", NAME, "diff"), DiffHandler),
    (api_path("datasets", NAME, "status"), StatusHandler),
    (api_path("datasets", NAME, "sharing"), DatasetSharingHandler),
    (api_path("runs", RUN_ID, "datasets"), RunDatasetsHandler),
]
