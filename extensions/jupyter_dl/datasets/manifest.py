"""The file index of a dataset version: DVC's directory manifest, as rows.

DVC describes a tracked directory by one ``.dir`` object in its cache, a JSON
list of ``{"md5", "relpath"}``. Parsing it (or, worse, walking a checkout) per
request would make browsing a 100k-file version slow, so a version's manifest is
read once, when the version is registered, into ``dl_dataset_files``: a row per
file and per directory, keyed by ``(version, path)`` and indexed by
``(version, parent, kind, name)`` and ``(version, parent, kind, size, name)``.
Listing a folder is then one range scan with keyset paging (the cursor holds
the last row's sort key, so page 500 costs what page 1 costs), and a diff of two
versions compares two columns of md5s.

This module also holds the one rule for paths inside a dataset (``relpath``):
every path a user sends passes through it before anything is looked up or read.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import BadRequest

MAX_PATH = 1024
MAX_LIMIT = 1000
SORTS = ("name", "size")
ORDERS = ("asc", "desc")
CHANGES = ("added", "removed", "modified")

_DRIVE = re.compile(r"^[A-Za-z]:")


def relpath(path: Any, what: str = "path", allow_root: bool = False) -> str:
    """A path inside a dataset: relative, ``/``-separated, no ``..``, ``.`` or empty parts.

    ``allow_root`` accepts ``""`` (the dataset's top folder). A trailing ``/`` is
    dropped. Anything else that could name a file outside the dataset is a 400.
    """
    if not isinstance(path, str):
        raise BadRequest(f"{what} must be a string")
    if len(path) > MAX_PATH:
        raise BadRequest(f"{what} is longer than {MAX_PATH} characters")
    if path.startswith("/") or _DRIVE.match(path):
        raise BadRequest(f"{what} {path!r} must be relative to the dataset's folder, not absolute")
    if "\\" in path:
        raise BadRequest(f"{what} {path!r} must use '/' between folders, not '\\'")
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        raise BadRequest(f"{what} {path!r} contains control characters")
    text: str = path.removesuffix("/")
    if not text:
        if allow_root:
            return ""
        raise BadRequest(f"{what} must name a file inside the dataset")
    parts = text.split("/")
    if ".." in parts:
        raise BadRequest(f"{what} {text!r} must not contain '..': it would leave the dataset")
    if any(p in ("", ".") for p in parts):
        raise BadRequest(f"{what} {text!r} has an empty or '.' part")
    return text


def read_dir_object(path: Path) -> list[tuple[str, str]]:
    """``(relpath, md5)`` of every file in a DVC ``.dir`` object, checked like user input.

    A manifest naming a path outside its directory (a tampered repository) is
    refused as a whole rather than indexed.
    """
    entries = json.loads(path.read_bytes())
    if not isinstance(entries, list):
        raise ValueError(f"{path} is not a DVC directory manifest")
    out: list[tuple[str, str]] = []
    for entry in entries:
        rel, md5 = entry.get("relpath"), entry.get("md5")
        if not isinstance(md5, str) or not re.fullmatch(r"[0-9a-f]{32}", md5):
            raise ValueError(f"{path}: entry {rel!r} has no md5")
        try:
            out.append((relpath(rel), md5))
        except BadRequest as e:
            raise ValueError(f"{path}: {e.message}") from None
    return out


def rows(files: Iterable[tuple[str, str, int]]) -> list[dict[str, Any]]:
    """Rows for ``(path, md5, size)`` files, plus one per directory with totals below it."""
    out: list[dict[str, Any]] = []
    dirs: dict[str, list[int]] = {}
    for path, md5, size in files:
        parent, _, name = path.rpartition("/")
        out.append(
            {
                "path": path,
                "parent_dir": parent,
                "name": name,
                "is_dir": False,
                "size": size,
                "files": 1,
                "md5": md5,
            }
        )
        folder = parent
        while folder:
            totals = dirs.get(folder)
            if totals is None:
                dirs[folder] = [size, 1]
            else:
                totals[0] += size
                totals[1] += 1
            folder = folder.rpartition("/")[0]
    for folder, (size, count) in dirs.items():
        parent, _, name = folder.rpartition("/")
        out.append(
            {
                "path": folder,
                "parent_dir": parent,
                "name": name,
                "is_dir": True,
                "size": size,
                "files": count,
                "md5": None,
            }
        )
    return out


def insert(conn: Any, version_id: int, entries: list[dict[str, Any]]) -> None:
    """Write a version's rows (in batches: a 100k-file version is ~1 s on SQLite)."""
    from sqlalchemy import insert as sql_insert

    from ..store.models import DatasetFile

    batch = 20_000
    for start in range(0, len(entries), batch):
        chunk = [{"version_id": version_id, **e} for e in entries[start : start + batch]]
        conn.execute(sql_insert(DatasetFile), chunk)


def entry_json(row: Any) -> dict[str, Any]:
    """A file or folder as the tree and file routes return it."""
    return {
        "path": row.path,
        "name": row.name,
        "type": "directory" if row.is_dir else "file",
        "size": row.size,
        "files": row.files,
        "md5": row.md5,
    }


def lookup(conn: Any, version_id: int, path: str) -> Any:
    """The row of one path (file or folder), or None."""
    from sqlalchemy import select

    from ..store.models import DatasetFile

    return conn.execute(
        select(*_columns()).where(DatasetFile.version_id == version_id, DatasetFile.path == path)
    ).first()


def _columns() -> list[Any]:
    from ..store.models import DatasetFile as F

    return [F.path, F.name, F.is_dir, F.size, F.files, F.md5]


def list_dir(
    conn: Any,
    version_id: int,
    parent: str,
    sort: str = "name",
    order: str = "asc",
    limit: int = 200,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None, int]:
    """One page of a folder: sub-folders first, then files, each sorted by ``sort``.

    Returns ``(items, next_cursor, total entries in the folder)``. Each page is at
    most two index range scans (folders, then files), whatever its depth.
    """
    from sqlalchemy import func, select, tuple_

    from ..store.models import DatasetFile as F

    if sort not in SORTS:
        raise BadRequest(f"cannot sort by {sort!r}; sort by {' or '.join(SORTS)}")
    if order not in ORDERS:
        raise BadRequest("order must be asc or desc")
    check_limit(limit)
    state = decode_cursor(cursor, {"dir": bool, "key": (int, str), "name": str})
    if state is not None and (state.get("sort"), state.get("order")) != (sort, order):
        raise BadRequest("the cursor belongs to another sort order; start again without it")
    desc = order == "desc"
    key_col = F.name if sort == "name" else F.size
    items: list[Any] = []
    for is_dir in (True, False):
        if state is not None and state["dir"] is False and is_dir:
            continue  # the folders were all on earlier pages
        want = limit + 1 - len(items)
        if want <= 0:
            break
        stmt = select(*_columns()).where(
            F.version_id == version_id, F.parent_dir == parent, F.is_dir == is_dir
        )
        if state is not None and state["dir"] == is_dir:
            if sort == "name":
                stmt = stmt.where(F.name < state["name"] if desc else F.name > state["name"])
            else:
                left, right = tuple_(F.size, F.name), tuple_(state["key"], state["name"])
                stmt = stmt.where(left < right if desc else left > right)
        ordering = [key_col, F.name] if sort == "size" else [F.name]
        stmt = stmt.order_by(*[c.desc() if desc else c.asc() for c in ordering]).limit(want)
        items.extend(conn.execute(stmt).all())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        next_cursor = encode_cursor(
            {
                "dir": last.is_dir,
                "key": last.size if sort == "size" else last.name,
                "name": last.name,
                "sort": sort,
                "order": order,
            }
        )
    total = conn.execute(
        select(func.count()).where(F.version_id == version_id, F.parent_dir == parent)
    ).scalar_one()
    return [entry_json(r) for r in items], next_cursor, total


def list_files(
    conn: Any, version_id: int, prefix: str = "", limit: int = 1000, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Every file whose path starts with ``prefix`` (any string, e.g. ``images/ca``), in
    path order, paged."""
    from sqlalchemy import func, select

    from ..store.models import DatasetFile as F

    check_limit(limit)
    state = decode_cursor(cursor, {"path": str})
    stmt = select(F.path, F.name, F.size, F.md5).where(F.version_id == version_id, ~F.is_dir)
    if prefix:
        stmt = stmt.where(F.path >= prefix, func.substr(F.path, 1, len(prefix)) == prefix)
        if conn.dialect.name == "sqlite":  # binary collation: the prefix's block ends here
            stmt = stmt.where(F.path < prefix + "\U0010ffff")
    if state is not None:
        stmt = stmt.where(F.path > state["path"])
    found = conn.execute(stmt.order_by(F.path).limit(limit + 1)).all()
    items = [{"path": p, "name": n, "size": s, "md5": m} for p, n, s, m in found[:limit]]
    next_cursor = encode_cursor({"path": items[-1]["path"]}) if len(found) > limit else None
    return items, next_cursor


def file_table(conn: Any, version_id: int) -> dict[str, tuple[str, int]]:
    """``path -> (md5, size)`` of every file of a version: what a diff compares."""
    from sqlalchemy import select

    from ..store.models import DatasetFile as F

    result = conn.execute(
        select(F.path, F.md5, F.size).where(F.version_id == version_id, ~F.is_dir)
    )
    return {path: (md5, size) for path, md5, size in result}


def diff(
    old: dict[str, tuple[str, int]], new: dict[str, tuple[str, int]]
) -> list[tuple[str, str, tuple[str, int] | None, tuple[str, int] | None]]:
    """``(path, change, old (md5, size), new (md5, size))`` for every changed path, sorted."""
    changes: list[tuple[str, str, tuple[str, int] | None, tuple[str, int] | None]] = []
    for path, after in new.items():
        before = old.get(path)
        if before is None:
            changes.append((path, "added", None, after))
        elif before[0] != after[0]:
            changes.append((path, "modified", before, after))
    changes.extend(
        (path, "removed", before, None) for path, before in old.items() if path not in new
    )
    changes.sort()
    return changes


def check_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(state: dict[str, Any]) -> str:
    """An opaque cursor for the next page: the last row's sort key, base64 JSON."""
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, fields: dict[str, Any]) -> dict[str, Any] | None:
    """The state inside a cursor, checked to have ``fields`` of the given types."""
    if not cursor:
        return None
    try:
        state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(state, dict):
            raise ValueError(cursor)
        for key, kinds in fields.items():
            if not isinstance(state[key], kinds):
                raise ValueError(key)
    except (ValueError, KeyError, TypeError):
        raise BadRequest("cursor is not one this server returned") from None
    return state
