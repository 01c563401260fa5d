"""A dataset version as notebook and training code use it: ``dl.dataset("cats", "v2")``.

A :class:`Dataset` is pinned to one commit when it is created (``latest`` is
resolved then), so everything read through it comes from the same version even
if someone commits a new one meanwhile. Reads go to DVC's cache, named by
content hash; ``.path`` links a read-only copy of the whole version together
once, shared by every user of the repository.

Inside a tracked run (``dl.init``), the first use of a dataset records the run,
the version and its content hash (lineage), with no call from the user.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .repo import Progress, no_progress
from .service import LATEST, DatasetService

if TYPE_CHECKING:
    from .fs import DatasetFileSystem
    from .remote import RemoteDatasets
    from .torch_dataset import FileDataset

    #: Where a version's data comes from: this machine's repository, or a team's platform.
    Source = DatasetService | RemoteDatasets

log = logging.getLogger("jupyter_dl.datasets")


@dataclass(frozen=True)
class DatasetFile:
    """One file of a version."""

    path: str
    size: int
    md5: str


class Dataset:
    """One version of a named dataset; see the module docstring."""

    def __init__(self, service: Source, version: dict[str, Any]) -> None:
        self._service = service
        self.info = version
        self.name: str = version["dataset"]
        self.version: str = version["ref"]
        self.commit_id: str = version["commit"]
        self.hash: str = version["hash"]
        self._recorded: set[str] = set()
        self._used()

    def __repr__(self) -> str:
        return (
            f"<jupyter_dl.Dataset {self.name}@{self.version}"
            f" ({self.info['files']:,} files, {size_text(self.info['size'])})>"
        )

    def _repr_html_(self) -> str:
        import html

        rows = [
            ("dataset", self.name),
            ("version", self.version),
            ("commit", self.commit_id[:10]),
            ("message", self.info["message"]),
            ("author", self.info["author"]),
            ("date", self.info["created_at"]),
            ("files", f"{self.info['files']:,}"),
            ("size", size_text(self.info["size"])),
        ]
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in rows
        )
        return f"<table>{body}</table>"

    # ------------------------------------------------------------------ reading

    def files(self, prefix: str = "", page_size: int = 1000) -> Iterator[DatasetFile]:
        """Every file whose path starts with ``prefix``, in path order, read page by page."""
        self._used()
        cursor = None
        while True:
            page = self._service.files(self.name, self.commit_id, prefix, page_size, cursor)
            for item in page.items:
                yield DatasetFile(item["path"], item["size"], item["md5"])
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def open(self, path: str, mode: str = "rb", encoding: str | None = None) -> IO[Any]:
        """Open a file of this version for reading (``"rb"`` or ``"r"``)."""
        if mode not in ("r", "rb", "rt"):
            raise ValueError(f"dataset files open read-only ('r' or 'rb'), not {mode!r}")
        self._used()
        file, _ = self._service.open_file(self.name, self.commit_id, path)
        handle = file.open("rb")
        return handle if mode == "rb" else io.TextIOWrapper(handle, encoding=encoding or "utf-8")

    def read_bytes(self, path: str) -> bytes:
        with self.open(path) as f:
            data: bytes = f.read()
        return data

    @property
    def path(self) -> Path:
        """A read-only folder with this version's files (built once, then shared)."""
        self._used()
        return self._service.checkout(self.name, self.commit_id)

    @property
    def fs(self) -> DatasetFileSystem:
        """This version as a read-only fsspec file system (``ds.fs.ls("images")``)."""
        from .fs import DatasetFileSystem

        self._used()
        return DatasetFileSystem(self._service, self.name, self.commit_id)

    def torch(
        self,
        transform: Callable[[Any], Any] | None = None,
        *,
        prefix: str = "",
        extensions: Sequence[str] | None = None,
        loader: Callable[[str], Any] | None = None,
        labels: str | None = None,
    ) -> FileDataset:
        """A map-style ``torch.utils.data.Dataset`` over the files under ``prefix``.

        Items are loaded by extension (images as RGB ``PIL.Image``, ``.npy`` as arrays,
        text as ``str``, anything else as ``bytes``) unless ``loader(path)`` is given,
        then passed through ``transform``. ``labels="folder"`` makes items
        ``(sample, class_index)`` with classes from the first folder below ``prefix``
        (the ``ImageFolder`` layout); ``extensions`` keeps only those file types.
        """
        from .torch_dataset import FileDataset

        if labels not in (None, "folder"):
            raise ValueError(f"labels must be None or 'folder', not {labels!r}")
        self._used()
        wanted = tuple(
            e.lower() if e.startswith(".") else f".{e.lower()}" for e in extensions or ()
        )
        files = [
            f
            for f in self.files(prefix)
            if not wanted or os.path.splitext(f.path)[1].lower() in wanted
        ]
        objects = self._service.object_paths(
            self.name, self.commit_id, [(f.path, f.md5) for f in files]
        )
        paths = [f.path for f in files]
        targets: list[int] | None = None
        classes: list[str] | None = None
        if labels == "folder":
            base = prefix if prefix.endswith("/") or not prefix else prefix.rpartition("/")[0] + "/"
            folders = []
            for path in paths:
                below = path[len(base) :] if base != "/" else path
                folder, slash, _ = below.partition("/")
                if not slash:
                    raise ValueError(
                        f"{path} is not inside a class folder; labels='folder' expects"
                        f" {base or ''}<class>/<file>"
                    )
                folders.append(folder)
            classes = sorted(set(folders))
            index = {c: i for i, c in enumerate(classes)}
            targets = [index[f] for f in folders]
        return FileDataset(paths, [str(p) for p in objects], transform, loader, targets, classes)

    def preview(self, path: str) -> dict[str, Any]:
        """What the Datasets panel shows for a file (see the REST API's preview route)."""
        return self._service.preview(self.name, self.commit_id, path)

    # ---------------------------------------------------------------- history

    def versions(self) -> list[dict[str, Any]]:
        """Every version of this dataset, newest first."""
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self._service.list_versions(self.name, 200, cursor)
            out.extend(page.items)
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor

    def diff(self, other: str | Dataset) -> dict[str, Any]:
        """What changed from ``other`` (a version or a Dataset) to this version:
        ``{"from", "to", "added": [paths], "removed": [...], "modified": [...]}``."""
        start = other.commit_id if isinstance(other, Dataset) else other
        result: dict[str, Any] = {"added": [], "removed": [], "modified": []}
        cursor = None
        while True:
            page = self._service.diff(self.name, start, self.commit_id, None, 1000, cursor)
            result["from"], result["to"] = page["from"], page["to"]
            for item in page["items"]:
                result[item["change"]].append(item["path"])
            if page["next_cursor"] is None:
                return result
            cursor = page["next_cursor"]

    def status(self) -> dict[str, Any]:
        """Whether the dataset's working folder still holds its latest version."""
        return self._service.status(self.name)

    def commit(
        self,
        source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        message: str = "",
        tag: str | None = None,
        progress: bool = True,
    ) -> Dataset:
        """Make a new version and return it (this object stays the version it was).

        ``source`` is a folder (the new version holds exactly its files), a mapping
        ``{relpath: file path | bytes | None}`` of single-file changes (None deletes),
        or None to commit the dataset's working folder as it is. DVC adds the files,
        git commits (and tags) the version, DVC pushes it to the remote; progress is
        shown in the notebook. Nothing is registered if any step fails.
        """
        folder = Path(source) if isinstance(source, (str, os.PathLike)) else source
        version = self._service.commit(
            self.name, folder, message=message, tag=tag, progress=reporter(self.name, progress)
        )
        return Dataset(self._service, version)

    # --------------------------------------------------------------- lineage

    def _used(self) -> None:
        """Record this version on the active run, once per run."""
        from .. import api

        run = api._run
        if run is None or not run.id or getattr(run, "_finished", False):
            return
        if run.id in self._recorded:
            return
        self._recorded.add(run.id)
        try:
            record_usage(run, self.name, self.commit_id)
        except Exception as e:  # lineage must never break reading data
            log.warning("jupyter-dl: could not record that run %s used %s: %s", run.id, self, e)


def record_usage(run: Any, name: str, commit: str) -> None:
    """Tell the platform that ``run`` used ``name`` at ``commit``, by the run's own route:
    its HTTP transport when it logs over HTTP, the store otherwise."""
    import json
    import urllib.request

    from ..tracking.client import HttpTransport

    transport = run.transport
    if isinstance(transport, HttpTransport):
        body = json.dumps({"dataset": name, "version": commit}).encode()
        request = urllib.request.Request(
            f"{transport.base_url}runs/{run.id}/datasets", data=body, method="POST"
        )
        request.add_header("Content-Type", "application/json")
        if transport.token:
            request.add_header("Authorization", f"token {transport.token}")
        with urllib.request.urlopen(request, timeout=transport.timeout):
            return
    from ..api import dataset_service

    dataset_service().record_usage(run.id, name, commit)


def reporter(name: str, show: bool) -> Progress:
    """Where a long operation reports progress: a bar in a notebook, lines on stderr
    elsewhere, nowhere when ``show`` is false."""
    if not show:
        return no_progress
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from jupyter_dl_kernel.progress import ProgressBar

        return ProgressBar(name).update

    def text(stage: str, done: int, total: int) -> None:
        if done == total:
            print(f"{name}: {stage} {done}/{total}", file=sys.stderr, flush=True)

    return text


def open_dataset(service: Source, name: str, version: str | None = LATEST) -> Dataset:
    return Dataset(service, service.get_version(name, version or LATEST))


def size_text(n: int) -> str:
    """Bytes as people read them: ``1.2 MB``."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"
