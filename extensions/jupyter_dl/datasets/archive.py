"""A dataset folder as a tar stream: packed by a client, unpacked by the platform.

A notebook on a user's server sends a folder to the team's platform service as
one tar archive (``POST /dl/api/datasets/{name}/upload``). The client streams it
straight from the files, with its exact length known before the first byte, so
the server can refuse an oversized upload before reading it and the client can
show how much has gone. The server reads any tar (plain or gzip) but unpacks
only relative paths of regular files and folders: an absolute path, ``..``, a
link, a device or a pipe anywhere in the archive refuses the whole archive
before anything is written.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ..errors import BadRequest, PayloadTooLarge, StorageError
from .manifest import relpath
from .repo import SourceFile

BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE
CHUNK = 1 << 20
#: More members than this is refused before unpacking (the index is built per file).
MAX_MEMBERS = 2_000_000


# ------------------------------------------------------------------- packing


class TarStream:
    """A readable tar archive of ``files`` (``{relpath: SourceFile}``), built as it is
    read. ``len(stream)`` is its exact size; ``sent(done, total)`` hears of the
    bytes read so far. A file whose size changes while it is read is an error, as
    the archive's length was promised up front."""

    def __init__(
        self, files: Mapping[str, SourceFile], sent: Callable[[int, int], None] | None = None
    ) -> None:
        self._members = [(path, files[path], _header(path, files[path])) for path in sorted(files)]
        size = sum(len(h) + _padded(f.size) for _, f, h in self._members) + 2 * BLOCK
        self.length = _padded(size, RECORD)
        self._sent = sent
        self._done = 0
        self._chunks = self._generate()
        self._buffer = b""

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        """The next bytes (at most one chunk; ``b""`` at the end), whatever ``size``
        asks, so that ``http.client`` sends large blocks."""
        data = self._buffer or next(self._chunks, b"")
        self._buffer = b""
        if 0 < size < len(data):
            data, self._buffer = data[:size], data[size:]
        self._done += len(data)
        if self._sent is not None and data:
            self._sent(self._done, self.length)
        return data

    def _generate(self) -> Iterator[bytes]:
        written = 0
        for path, source, header in self._members:
            yield header
            left = source.size
            with open(source.path, "rb") as f:
                while left > 0:
                    data = f.read(min(CHUNK, left))
                    if not data:
                        break
                    left -= len(data)
                    yield data
                more = f.read(1)
            if left or more:
                raise BadRequest(
                    f"{path} changed while it was being sent; send the folder again when"
                    " nothing writes to it"
                )
            if source.size % BLOCK:
                yield b"\0" * (BLOCK - source.size % BLOCK)
            written += len(header) + _padded(source.size)
        yield b"\0" * (self.length - written)  # two empty blocks, then up to a whole record


def _header(path: str, source: SourceFile) -> bytes:
    info = tarfile.TarInfo(path)
    info.size = source.size
    info.mtime = source.mtime_ns // 1_000_000_000
    info.mode = 0o644
    info.type = tarfile.REGTYPE
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def _padded(size: int, unit: int = BLOCK) -> int:
    return -(-size // unit) * unit


# ------------------------------------------------------------------ unpacking


def unpack(archive: Path, dest: Path, limit: int) -> int:
    """Unpack the tar (or tar.gz) ``archive`` into the empty folder ``dest``; returns the
    number of files.

    Every member is checked before anything is written: only regular files and
    folders with relative paths inside the dataset (no ``..``, no absolute path, no
    link, device or pipe, no path twice) are accepted, and the files together may
    hold at most ``limit`` bytes (413). Anything else is a 400 naming the member,
    and ``dest`` stays empty.
    """
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            files = _checked(tar, limit)
            for member, path in files:
                target = dest / path
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                if source is None:  # pragma: no cover - a regular member always has content
                    raise BadRequest(f"the archive has no content for {path}")
                with source, open(target, "xb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                os.utime(target, (member.mtime, member.mtime))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        _empty(dest)
        raise BadRequest(f"the upload is not a readable tar archive: {e}") from None
    except OSError as e:
        _empty(dest)
        raise StorageError(f"cannot unpack the upload into {dest}: {e.strerror or e}") from None
    except BaseException:
        _empty(dest)
        raise
    return len(files)


def _checked(tar: tarfile.TarFile, limit: int) -> list[tuple[tarfile.TarInfo, str]]:
    files: list[tuple[tarfile.TarInfo, str]] = []
    seen: dict[str, bool] = {}  # path -> is a folder
    total = 0
    for count, member in enumerate(tar, 1):
        if count > MAX_MEMBERS:
            raise BadRequest(f"the archive has more than {MAX_MEMBERS:,} members")
        name = member.name.removeprefix("./") if member.name not in (".", "./") else ""
        if not name and member.isdir():
            continue
        try:
            path = relpath(name, "archive member")
        except BadRequest as e:
            raise BadRequest(f"cannot put {member.name!r} in a dataset: {e.message}") from None
        if member.issym() or member.islnk():
            raise BadRequest(f"{path} is a link in the archive; a dataset only holds regular files")
        if not (member.isreg() or member.isdir()):
            raise BadRequest(f"{path} is not a regular file (a device, pipe or socket)")
        if path in seen and not (member.isdir() and seen[path]):
            raise BadRequest(f"{path} is in the archive twice")
        parents = path.split("/")[:-1]
        for i in range(1, len(parents) + 1):
            folder = "/".join(parents[:i])
            if seen.get(folder) is False:
                raise BadRequest(f"{folder} is both a file and a folder in the archive")
            seen[folder] = True
        seen[path] = member.isdir()
        if member.isreg():
            total += member.size
            if total > limit:
                raise PayloadTooLarge(
                    f"the files in the archive hold more than {limit:,} bytes, the most one"
                    " upload may hold"
                )
            files.append((member, path))
    if not files:
        raise BadRequest("the archive holds no files; a dataset version needs at least one")
    return files


def _empty(folder: Path) -> None:
    """Leave ``folder`` as it was given: empty."""
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
