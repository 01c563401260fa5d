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
from typing import IO, Any
from urllib.parse import quote

from tornado import web

from ..errors import BadRequest, Forbidden, PayloadTooLarge, PreviewFailed
from ..tracking.handlers import RUN_ID
from ..web import PlatformHandler, api_path
from .manifest import relpath
from .previews import Options
from .service import DatasetService

#: A preview taking longer than this is abandoned (its inputs are bounded too).
PREVIEW_TIMEOUT = 15.0
#: The most bytes one upload (``POST /datasets/{name}/upload``) may send, and its files
#: hold once unpacked: 16 GiB. It is received onto the repository's storage, then
#: staged and copied into the dataset's working folder, so allow for about three times
#: as much free space there. Larger datasets are made where the repository lives.
UPLOAD_LIMIT = 16 * 1024**3
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


@web.stream_request_body
class UploadHandler(DatasetHandler):
    """A new dataset, or a new version, from a tar archive sent as the body.

    The body is streamed to a file on the repository's storage as it arrives (never
    held in memory), so an upload may be as large as :data:`UPLOAD_LIMIT`. What can
    be refused without the body (the caller's access, a bad name or tag, a taken
    tag, a declared length over the limit) is refused before it is read.
    """

    _file: IO[bytes] | None = None
    _received = 0

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished or self.request.method != "POST":
            return
        if self.current_user is None:
            raise web.HTTPError(403)  # before the body, not after it has been stored
        limit = UPLOAD_LIMIT
        length = self.request.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(
                f"the upload is {int(length):,} bytes; one upload may hold at most {limit:,}"
            )
        name = self.path_kwargs["name"]
        await self.call(self.datasets.check_upload, name, self.create_flag(), self.tag())
        # tornado's default (the server's max_body_size) would cut larger uploads short.
        self.request.connection.set_max_body_size(limit)  # type: ignore[union-attr]
        self._file = await self.call(self.datasets.upload_file)

    def data_received(self, chunk: bytes) -> None:
        if self._file is not None:
            self._file.write(chunk)
            self._received += len(chunk)

    @web.authenticated
    async def post(self, name: str) -> None:
        if self._file is None:  # pragma: no cover - prepare opened it or refused
            raise BadRequest("send the dataset's files as a tar archive in the body")
        self._file.close()
        if self._received == 0:
            raise BadRequest("the body is empty; send the dataset's files as a tar archive")
        caller = self.user_name
        result = await self.call(
            lambda: self.datasets.upload(
                name,
                Path(self._file.name),  # type: ignore[union-attr]
                limit=UPLOAD_LIMIT,
                create=self.create_flag(),
                description=self.get_query_argument("description", "") or "",
                tags=self.get_query_arguments("tags") or None,
                owner=caller,
                message=self.get_query_argument("message", None) or None,
                tag=self.tag(),
                author=caller,
            )
        )
        self.set_status(201)
        self.finish(result)

    def create_flag(self) -> bool | None:
        value = self.get_query_argument("create", "")
        if value not in ("", "true", "false"):
            raise BadRequest(f"create must be true or false, not {value!r}")
        return None if value == "" else value == "true"

    def tag(self) -> str | None:
        return self.get_query_argument("tag", None) or None

    def on_finish(self) -> None:
        self._discard()

    def on_connection_close(self) -> None:
        super().on_connection_close()
        self._discard()

    def _discard(self) -> None:
        if self._file is not None:
            self._file.close()
            Path(self._file.name).unlink(missing_ok=True)
            self._file = None


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
    (api_path("datasets", NAME, "upload"), UploadHandler),
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
    (api_path("runs", RUN_ID, "datasets"), RunDatasetsHandler),
]
