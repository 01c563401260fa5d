"""Is a dataset's working folder still what its last version recorded?

``dvc status`` answers by rebuilding the tree of the folder and checking each
file against its state database, which takes seconds for 100k files. We keep,
per dataset, a *stat cache*: the paths, sizes and mtimes of every file in the
order a directory walk meets them, written when the version was made. A check
is then one ``os.scandir`` walk (the cost any sync check pays) and one
comparison of bytes: the walk's paths joined and its numbers packed as the
cache stores them. Only when that differs are files looked at one by one, and
only files whose size or mtime changed are hashed (a touched but unchanged file
is not a change, and its new mtime goes into the cache).

The cache lives in the repository's private folder, written atomically. It is
plain bytes (never unpickled); anything unreadable there counts as no cache,
so everything is hashed once.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Names DVC never tracks inside a dataset folder, at any depth.
IGNORED = frozenset({".git", ".hg", ".dvc"})
MAGIC = b"jupyter-dl stat cache 1\n"
HASH_CHUNK = 1 << 20


@dataclass
class Walk:
    """Every file below a folder: ``paths[i]`` has size ``stats[2i]``, mtime ``stats[2i+1]``
    (nanoseconds). Two flat lists instead of a tuple per file keep the walk close to the
    cost of the bare ``stat`` calls."""

    paths: list[str] = field(default_factory=list)
    stats: list[int] = field(default_factory=list)

    def entries(self) -> Iterator[tuple[str, int, int]]:
        stats = self.stats
        for i, path in enumerate(self.paths):
            yield path, stats[2 * i], stats[2 * i + 1]

    def sizes(self) -> dict[str, int]:
        return dict(zip(self.paths, self.stats[::2], strict=True))

    def packed(self) -> bytes:
        names = "\0".join(self.paths).encode("utf-8", "surrogateescape")
        return len(names).to_bytes(8, "little") + names + array("q", self.stats).tobytes()

    @classmethod
    def unpack(cls, data: bytes) -> Walk:
        length = int.from_bytes(data[:8], "little")
        names = data[8 : 8 + length].decode("utf-8", "surrogateescape")
        numbers = array("q")
        numbers.frombytes(data[8 + length :])
        paths = names.split("\0") if names else []
        if len(numbers) != 2 * len(paths):
            raise ValueError("stat cache lists and numbers differ in length")
        return cls(paths, numbers.tolist())


@dataclass
class WorkdirStatus:
    """The result: clean, or the paths that differ from the version."""

    version_hash: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    hashed: int = 0  # files read to decide (0 on the fast path)

    @property
    def clean(self) -> bool:
        return not (self.added or self.removed or self.modified)


def walk(root: Path) -> Walk:
    """Every file below ``root``, in scandir order (stable while the folder is unchanged).

    Symlinks are reported by their own ``lstat`` and never followed: a link that
    leaves the folder is never read from here.
    """
    paths: list[str] = []
    stats: list[int] = []
    add_path, add_stats = paths.append, stats.extend
    base = str(root)
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            it = os.scandir(f"{base}/{rel}" if rel else base)
        except FileNotFoundError:
            continue
        with it:
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    if e.name not in IGNORED:
                        stack.append(f"{rel}{e.name}/")
                elif e.name not in IGNORED:
                    st = e.stat(follow_symlinks=False)
                    add_path(rel + e.name)
                    add_stats((st.st_size, st.st_mtime_ns))
    return Walk(paths, stats)


def _header(version_hash: str) -> bytes:
    return MAGIC + version_hash.encode() + b"\n"


def save(cache: Path, version_hash: str, found: Walk) -> None:
    """Write the stat cache of a folder that matches ``version_hash``."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    tmp.write_bytes(_header(version_hash) + found.packed())
    os.replace(tmp, cache)


def load(cache: Path, version_hash: str) -> Walk | None:
    """The cached walk of the folder when it was ``version_hash``; None if unusable."""
    try:
        data = cache.read_bytes()
        header = _header(version_hash)
        if not data.startswith(header):
            return None
        return Walk.unpack(data[len(header) :])
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def check(
    root: Path,
    cache: Path,
    version_hash: str,
    manifest: Callable[[], dict[str, tuple[str, int]]],
) -> WorkdirStatus:
    """Compare the folder ``root`` with the version ``version_hash``.

    ``manifest`` returns the version's ``path -> (md5, size)``; it is only called
    when the fast path cannot decide.
    """
    found = walk(root)
    try:
        stored = cache.read_bytes()
    except OSError:
        stored = b""
    if stored and stored == _header(version_hash) + found.packed():
        return WorkdirStatus(version_hash)
    known = manifest()
    cached = load(cache, version_hash)
    previous = {p: (s, m) for p, s, m in cached.entries()} if cached else {}
    result = WorkdirStatus(version_hash)
    verified = Walk()
    for path, size, mtime in found.entries():
        expected = known.get(path)
        if expected is None:
            result.added.append(path)
            continue
        if previous.get(path) == (size, mtime):
            same = True
        elif size != expected[1]:
            same = False
        else:
            result.hashed += 1
            same = _md5(root / path) == expected[0]
        if same:
            verified.paths.append(path)
            verified.stats.extend((size, mtime))
        else:
            result.modified.append(path)
    present = set(found.paths)
    result.removed = sorted(p for p in known if p not in present)
    result.added.sort()
    result.modified.sort()
    # Keep what was verified, in walk order, so the next check of a clean folder is fast.
    save(cache, version_hash, verified)
    return result


def _md5(path: Path) -> str | None:
    if path.is_symlink():
        return None  # a link is never the file it replaced
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with path.open("rb") as f:
            while chunk := f.read(HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def describe(status: WorkdirStatus, limit: int = 100) -> dict[str, Any]:
    """The JSON form: counts, and the first ``limit`` paths of each kind."""
    return {
        "clean": status.clean,
        "added": len(status.added),
        "removed": len(status.removed),
        "modified": len(status.modified),
        "changes": (
            [{"path": p, "change": "added"} for p in status.added[:limit]]
            + [{"path": p, "change": "removed"} for p in status.removed[:limit]]
            + [{"path": p, "change": "modified"} for p in status.modified[:limit]]
        ),
    }
