"""Datasets of the team's platform, read and written from a notebook over its REST API.

When ``$JUPYTER_DL_API_URL`` points at the team's platform service, the datasets
live in its repository, on another machine. :class:`RemoteDatasets` answers what
a :class:`~jupyter_dl.datasets.dataset.Dataset` asks of the local
``DatasetService`` (versions, listings, file metadata, previews, diffs) with the
routes of the same names, makes new versions by sending a folder as one tar
archive (``POST datasets/{name}/upload``), and keeps the files it reads in a
local cache:

- ``objects/<md5[:2]>/<md5[2:]>``: each content once, by md5, as DVC's cache
  does, fetched with the ``raw`` route only when first read and kept only when
  its size and md5 are the ones the platform's index gives; a new version
  downloads only the contents earlier ones did not have.
- ``versions/<name>/<commit>``: a version's whole folder (``ds.path``), linked
  from the objects once it is complete, then reused with no request at all.

The cache is ``$JUPYTER_DL_DATASET_CACHE``, else ``dataset-cache`` under the
platform's data directory; it is safe to delete, and safe to share between
processes (every file appears whole, by rename).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import select
import shutil
import socket
import tempfile
import urllib.error
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import (
    BadRequest,
    Forbidden,
    PayloadTooLarge,
    PlatformError,
    PreviewFailed,
    StorageError,
    StoreUnavailable,
)
from ..pages import Page
from ..platform_client import PlatformClient, platform_error
from . import archive
from .repo import Progress, apply_changes, link_folder, no_progress, scan
from .service import LATEST

CACHE_ENV = "JUPYTER_DL_DATASET_CACHE"
#: Files fetched at once when many are needed (``ds.torch()``, ``ds.path``).
PARALLEL = 8
#: Seconds an upload may wait for the platform's answer: it makes the version (DVC
#: add, git commit, push, index) before it answers.
UPLOAD_TIMEOUT = 3600.0
#: Seconds to wait for the platform's ``100 Continue`` before sending an upload anyway.
CONTINUE_WAIT = 5.0
COMMIT = re.compile(r"[0-9a-f]{40}")
#: Errors that mean the same here as in a local call (the rest: ``platform_error``).
KINDS: dict[int, type[PlatformError]] = {
    403: Forbidden,
    413: PayloadTooLarge,
    422: PreviewFailed,
    503: StorageError,
}


def cache_dir() -> Path:
    """Where files read from the team's platform are kept (see the module docstring)."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    from ..paths import default_data_dir

    return default_data_dir() / "dataset-cache"


class RemoteDatasets:
    """The datasets of the platform ``client`` talks to, with a local file cache."""

    def __init__(self, client: PlatformClient, cache: Path | None = None) -> None:
        self.client = client
        self.cache = Path(cache) if cache is not None else cache_dir()

    # ------------------------------------------------------------------ catalog

    def list_datasets(
        self, q: str | None = None, limit: int = 50, cursor: str | None = None
    ) -> Page:
        return self._page("datasets", {"q": q, "limit": limit, "cursor": cursor})

    def get_dataset(self, name: str) -> dict[str, Any]:
        return self._get(f"datasets/{_seg(name)}")

    def get_version(self, name: str, ref: str | None = LATEST) -> dict[str, Any]:
        return self._get(f"datasets/{_seg(name)}/versions/{_seg(ref or LATEST)}")

    def list_versions(self, name: str, limit: int = 50, cursor: str | None = None) -> Page:
        return self._page(f"datasets/{_seg(name)}/versions", {"limit": limit, "cursor": cursor})

    # ----------------------------------------------------------------- browsing

    def files(
        self, name: str, ref: str, prefix: str = "", limit: int = 1000, cursor: str | None = None
    ) -> Page:
        query = {"prefix": prefix, "limit": limit, "cursor": cursor}
        return self._page(f"{_version(name, ref)}/files", query)

    def tree(
        self,
        name: str,
        ref: str,
        path: str = "",
        sort: str = "name",
        order: str = "asc",
        limit: int = 200,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        query = {"path": path, "sort": sort, "order": order, "limit": limit, "cursor": cursor}
        return self._get(f"{_version(name, ref)}/tree", query)

    def file_info(self, name: str, ref: str, path: str) -> dict[str, Any]:
        return self._get(f"{_version(name, ref)}/files/{quote(path)}")

    def preview(self, name: str, ref: str, path: str, options: Any = None) -> dict[str, Any]:
        return self._get(f"{_version(name, ref)}/preview/{quote(path)}")

    def diff(
        self,
        name: str,
        from_ref: str,
        to_ref: str = LATEST,
        change: str | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        query = {"from": from_ref, "to": to_ref, "change": change, "limit": limit, "cursor": cursor}
        return self._get(f"datasets/{_seg(name)}/diff", query)

    def status(self, name: str) -> dict[str, Any]:
        return self._get(f"datasets/{_seg(name)}/status")

    # ------------------------------------------------------------------ reading

    def open_file(self, name: str, ref: str, path: str) -> tuple[Path, dict[str, Any]]:
        """A file's content in the local cache (fetched on first use) and its metadata."""
        info = self.file_info(name, ref, path)
        if info["type"] != "file":
            raise BadRequest(f"{info['path']!r} is a folder; open its files one by one")
        return self.object_paths(name, ref, [(info["path"], info["md5"])])[0], info

    def object_paths(
        self,
        name: str,
        ref: str,
        files: Sequence[tuple[str, str]],
        progress: Progress | None = None,
    ) -> list[Path]:
        """Local paths of the contents of files of a version (``(path, md5)`` pairs),
        fetching the missing ones, several at a time."""
        from .dataset import reporter

        paths = [self.object_path(md5) for _, md5 in files]
        missing = {md5: path for path, md5 in files if not self.object_path(md5).is_file()}
        if missing:
            todo = sorted(missing.items())
            report = progress or (reporter(name, True) if len(todo) > 1 else no_progress)
            report("downloading", 0, len(todo))

            def fetch(item: tuple[str, str]) -> None:
                self._download(name, ref, item[0], item[1])

            with ThreadPoolExecutor(min(PARALLEL, len(todo))) as pool:
                for done, _ in enumerate(pool.map(fetch, todo), 1):
                    if done % 50 == 0 or done == len(todo):
                        report("downloading", done, len(todo))
        return paths

    def object_path(self, md5: str) -> Path:
        return self.cache / "objects" / md5[:2] / md5[2:]

    def checkout(self, name: str, ref: str = LATEST, progress: Progress | None = None) -> Path:
        """A read-only local folder holding the whole version, built once per commit."""
        commit = ref if COMMIT.fullmatch(ref) else self.get_version(name, ref)["commit"]
        target = self.cache / "versions" / name / commit
        if target.is_dir():
            return target
        files = list(self._all_files(name, commit))
        self.object_paths(name, commit, [(p, m) for p, m, _ in files], progress=progress)
        return link_folder(target, [(p, self.object_path(m)) for p, m, _ in files])

    def _download(self, name: str, ref: str, md5: str, path: str) -> None:
        """Fetch one content into the cache; kept only if its md5 is the one listed."""
        target = self.object_path(md5)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        fd, partial = tempfile.mkstemp(prefix=".partial-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:

                def write(chunk: bytes) -> None:
                    digest.update(chunk)
                    out.write(chunk)

                self.client.stream("GET", f"{_version(name, ref)}/raw/{quote(path)}", write)
            if digest.hexdigest() != md5:
                raise StorageError(
                    f"{path} of {name}@{ref} arrived with md5 {digest.hexdigest()}, not the"
                    f" {md5} the platform lists; try again"
                )
            os.chmod(partial, 0o444)
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise

    def _all_files(self, name: str, ref: str) -> Iterator[tuple[str, str, int]]:
        cursor = None
        while True:
            page = self.files(name, ref, "", 1000, cursor)
            for item in page.items:
                yield item["path"], item["md5"], item["size"]
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # ------------------------------------------------------------- new versions

    def create_dataset(
        self,
        name: str,
        source: str | Path,
        *,
        description: str = "",
        tags: list[str] | None = None,
        message: str | None = None,
        tag: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """A new dataset on the platform from a local folder; the caller owns it."""
        query = {"create": "true", "description": description, "tags": tags or [],
                 "message": message, "tag": tag}  # fmt: skip
        result = self.upload(name, Path(source), query, progress or no_progress)
        dataset: dict[str, Any] = result["dataset"]
        return dataset

    def commit(
        self,
        name: str,
        source: str | Path | Mapping[str, Any] | None = None,
        *,
        message: str = "",
        tag: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """A new version from a local folder (it then holds exactly its files), or from
        single-file changes to the latest version (applied to a copy here, then sent)."""
        query = {"create": "false", "message": message, "tag": tag}
        report = progress or no_progress
        if isinstance(source, (str, Path)):
            version: dict[str, Any] = self.upload(name, Path(source), query, report)["version"]
            return version
        if source is None or not isinstance(source, Mapping) or not source:
            raise BadRequest(
                f"in a team, {name}'s working folder is on the platform's machine; commit a"
                " folder of yours, or changes {relpath: file | bytes | None}, instead"
            )
        with tempfile.TemporaryDirectory(prefix="jupyter-dl-commit-") as folder:
            edited = Path(folder) / "files"
            shutil.copytree(self.checkout(name, LATEST, report), edited)
            apply_changes(edited, source)
            version = self.upload(name, edited, query, report)["version"]
        return version

    def upload(
        self, name: str, folder: Path, query: dict[str, Any], progress: Progress
    ) -> dict[str, Any]:
        """Send the files of ``folder`` as one tar archive; the platform's answer."""
        files = scan(folder)
        if not files:
            raise BadRequest(f"{folder} holds no files; a dataset needs at least one")
        body = archive.TarStream(files, lambda done, total: progress("uploading", done, total))
        url = f"datasets/{_seg(name)}/upload?{_query(query)}"
        progress("uploading", 0, len(body))
        result = self._send(url, body)
        count = result["version"]["files"]
        progress("indexing", count, count)
        return result

    # ---------------------------------------------------------------- transport

    def _get(self, path: str, query: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.client.json("GET", f"{path}?{_query(query)}" if query else path)

    def _page(self, path: str, query: Mapping[str, Any]) -> Page:
        body = self._get(path, query)
        return Page(body["items"], body.get("next_cursor"), body.get("total"))

    def _send(self, path: str, body: archive.TarStream) -> dict[str, Any]:
        """POST a tar stream and wait for the platform to make the version.

        ``PlatformClient`` sends bodies held in memory; an archive is read as it goes.
        The request asks to continue (``Expect: 100-continue``), so an upload the
        platform refuses from its headers alone (no access, a taken tag, too large)
        is answered before a byte of it is sent.
        """
        c = self.client
        url = urllib.parse.urlsplit(c.base_url + path)
        plain = url.scheme == "http"
        connection_class = http.client.HTTPConnection if plain else http.client.HTTPSConnection
        connection = connection_class(url.netloc, timeout=max(c.timeout, UPLOAD_TIMEOUT))
        try:
            connection.putrequest("POST", f"{url.path}?{url.query}")
            connection.putheader("Content-Type", "application/x-tar")
            connection.putheader("Content-Length", str(len(body)))
            if c.token:
                connection.putheader("Authorization", f"token {c.token}")
            if plain:
                connection.putheader("Expect", "100-continue")
            connection.endheaders()
            if not plain or _may_continue(connection.sock):
                try:
                    while chunk := body.read():
                        connection.send(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused while sending: the answer says why
            response = connection.getresponse()
            answer = response.read()
        except OSError as e:
            raise StoreUnavailable(
                f"cannot send the files to the platform API at {c.base_url}: {e}"
            ) from None
        finally:
            connection.close()
        if response.status >= 400:
            error = urllib.error.HTTPError(
                c.base_url + path, response.status, response.reason, response.headers,
                io.BytesIO(answer),
            )  # fmt: skip
            raise _error(error)
        result: dict[str, Any] = json.loads(answer)
        return result


# --------------------------------------------------------------------- helpers


def _may_continue(sock: socket.socket) -> bool:
    """After a request's headers: whether to send its body. A ``100 Continue`` (read
    here) or nothing within :data:`CONTINUE_WAIT` (a server that never says) means yes;
    the start of a final answer means no."""
    ready, _, _ = select.select([sock], [], [], CONTINUE_WAIT)
    if not ready:
        return True
    head = sock.recv(16, socket.MSG_PEEK)
    if not re.match(rb"HTTP/1\.[01] 100 ", head):
        return False
    seen = b""
    while not seen.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            return False
        seen += byte
    return True


def _seg(value: str) -> str:
    return quote(value, safe="")


def _version(name: str, ref: str) -> str:
    return f"datasets/{_seg(name)}/versions/{_seg(ref)}"


def _query(query: Mapping[str, Any] | None) -> str:
    pairs: list[tuple[str, Any]] = []
    for key, value in (query or {}).items():
        if isinstance(value, list):
            pairs.extend((key, v) for v in value)
        elif value is not None and value != "":
            pairs.append((key, value))
    return urlencode(pairs)


def _error(error: urllib.error.HTTPError) -> PlatformError:
    """The platform's JSON error as the exception the local service raises for it."""
    if error.code not in KINDS:
        return platform_error(error)  # 400, 404, 409, and a refused token
    try:
        message = str(json.loads(error.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {error.code} from {error.url}"
    return KINDS[error.code](message)


def client_from_env() -> RemoteDatasets | None:
    """The team's datasets when ``$JUPYTER_DL_API_URL`` is set, else None (local)."""
    from .. import platform_client

    client = platform_client.client_from_env()
    return RemoteDatasets(client) if client is not None else None
