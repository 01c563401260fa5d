"""Is a dataset's working folder still what its last version recorded?

``dvc status`` answers by rebuilding the tree of the folder and checking each
file's hash against its state database, which takes seconds for 100k files.
We keep, per dataset, a *stat cache*: ``(path, size, mtime_ns)`` of every file,
in the order a directory walk meets them, written when the version was made.
Checking is then one ``os.scandir`` walk (the cost every sync check pays) and
one list comparison in C. Only when that differs are files looked at one by
one, and only files whose size or mtime changed are hashed (a touched but
unchanged file is not a change, and its new mtime goes into the cache).

The cache is a ``marshal`` file: the fastest format the standard library
reads for lists of tuples (loading 100k entries costs a tenth of the walk). It
lives in the repository's private folder, written atomically; anything
unreadable there is treated as no cache (everything is re-hashed once).
"""

from __future__ import annotations

import hashlib
import marshal
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Names DVC never tracks inside a dataset folder, at any depth.
IGNORED = frozenset({".git", ".hg", ".dvc"})
FORMAT = 1
HASH_CHUNK = 1 << 20

Entry = tuple[str, int, int]  # (relative path, size, mtime_ns)


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


def walk(root: Path) -> list[Entry]:
    """``(path, size, mtime_ns)`` of every file below ``root``, in scandir order.

    Symlinks are reported by their own ``lstat`` and never followed: a link that
    leaves the folder is never read from here.
    """
    out: list[Entry] = []
    append = out.append
    base = str(root)
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(f"{base}/{rel}" if rel else base) as it:
                entries = list(it)
        except FileNotFoundError:
            continue
        for e in entries:
            if e.name in IGNORED:
                continue
            if e.is_dir(follow_symlinks=False):
                stack.append(f"{rel}{e.name}/")
            else:
                st = e.stat(follow_symlinks=False)
                append((rel + e.name, st.st_size, st.st_mtime_ns))
    return out


def save(cache: Path, version_hash: str, entries: list[Entry]) -> None:
    """Write the stat cache of a folder that matches ``version_hash`` exactly."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    with tmp.open("wb") as f:
        marshal.dump((FORMAT, version_hash, entries), f)
    os.replace(tmp, cache)


def load(cache: Path) -> tuple[str, list[Entry]] | None:
    try:
        with cache.open("rb") as f:
            fmt, version_hash, entries = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if fmt != FORMAT or not isinstance(version_hash, str) or not isinstance(entries, list):
        return None
    return version_hash, entries


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
    walked = walk(root)
    cached = load(cache)
    if cached is not None and cached[0] == version_hash and cached[1] == walked:
        return WorkdirStatus(version_hash)
    known = manifest()
    previous = {p: (s, m) for p, s, m in cached[1]} if cached and cached[0] == version_hash else {}
    result = WorkdirStatus(version_hash)
    verified: dict[str, tuple[int, int]] = {}
    for path, size, mtime in walked:
        expected = known.get(path)
        if expected is None:
            result.added.append(path)
        elif previous.get(path) == (size, mtime):
            verified[path] = (size, mtime)
        elif size != expected[1]:
            result.modified.append(path)
        else:
            result.hashed += 1
            if _md5(root / path) == expected[0]:
                verified[path] = (size, mtime)
            else:
                result.modified.append(path)
    present = {path for path, _, _ in walked}
    result.removed = sorted(p for p in known if p not in present)
    result.added.sort()
    result.modified.sort()
    # Keep what was verified, in walk order, so the next check of a clean folder is fast.
    save(cache, version_hash, [(p, *verified[p]) for p, _, _ in walked if p in verified])
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
