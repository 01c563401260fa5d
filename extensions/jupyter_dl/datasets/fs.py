"""A dataset version as a read-only fsspec file system (``ds.fs``).

Libraries that take an fsspec file system (pandas, pyarrow, Hugging Face
``datasets``, ``webdataset``...) read a version through it without a checkout:
listings come from the version's file index, bytes from DVC's cache (in a team,
from the platform's API and the local copy of the files read).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fsspec import AbstractFileSystem

from ..errors import BadRequest, NotFound
from .manifest import relpath

if TYPE_CHECKING:
    from .dataset import Source


class DatasetFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """Paths are relative to the dataset's top folder (``images/cat.png``)."""

    protocol = "dldataset"
    root_marker = ""
    cachable = False  # bound to a service object, which fsspec cannot tokenise

    def __init__(self, service: Source, name: str, ref: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service
        self.dataset = name
        self.ref = ref

    def _path(self, path: str) -> str:
        text = self._strip_protocol(path)
        try:
            return relpath(text.strip("/") if text != "/" else "", "path", allow_root=True)
        except BadRequest as e:
            raise ValueError(e.message) from None

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        text = str(path)
        for prefix in ("dldataset://", "dldataset:"):
            text = text.removeprefix(prefix)
        return text.lstrip("/")

    def ls(self, path: str = "", detail: bool = True, **kwargs: Any) -> list[Any]:
        folder = self._path(path)
        entries: list[dict[str, Any]] = []
        cursor = None
        try:
            while True:
                page = self.service.tree(
                    self.dataset, self.ref, folder, "name", "asc", 1000, cursor
                )
                entries.extend(_info(e) for e in page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
        except NotFound:
            raise FileNotFoundError(path) from None
        except BadRequest:  # a file, not a folder
            entries = [self.info(path)]
        return entries if detail else [e["name"] for e in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        target = self._path(path)
        if not target:
            version = self.service.get_version(self.dataset, self.ref)
            return {"name": "", "size": version["size"], "type": "directory"}
        try:
            return _info(self.service.file_info(self.dataset, self.ref, target))
        except NotFound:
            raise FileNotFoundError(path) from None

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        if mode != "rb":
            raise PermissionError(f"dataset versions are read-only; open {path} with mode 'rb'")
        try:
            file, _ = self.service.open_file(self.dataset, self.ref, self._path(path))
        except NotFound:
            raise FileNotFoundError(path) from None
        except BadRequest as e:
            raise IsADirectoryError(e.message) from None
        return file.open("rb")


def _info(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": entry["path"],
        "size": entry["size"],
        "type": entry["type"],
        "md5": entry["md5"],
    }
