"""Metric series storage: chunks of 256 steps, and the extremes charts are drawn from.

A series is written as *chunks* (``step // 256``), each holding packed arrays
of steps, times and values plus its count, range, min and max (with the steps
where they occur). Above the chunks sit *blocks* of 16 and 256 chunks. A chart
of a million-point series therefore reads a few hundred summary rows and never
a million points; a zoomed-in chart reads the few chunks it shows.

Downsampling keeps extremes: each chart bucket contributes its minimum and its
maximum, at the steps where they were logged, so spikes never vanish.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

CHUNK_SHIFT = 8
CHUNK = 1 << CHUNK_SHIFT
FANOUT = 16
LEVELS = 2  # block levels above chunks: 16 and 256 chunks
_SUMMARY = ("n", "step_lo", "step_hi", "vmin", "vmax", "step_at_min", "step_at_max")


@dataclass
class Extremes:
    """Count, range and extremes of some points: what a chart needs of a chunk or block."""

    n: int
    step_lo: int
    step_hi: int
    vmin: float | None
    vmax: float | None
    step_at_min: int | None
    step_at_max: int | None

    @classmethod
    def of(cls, steps: Sequence[int], values: Sequence[float]) -> Extremes:
        finite = values
        if math.isnan(sum(values)):  # NaN (or inf - inf) present: ignore NaN for extremes
            finite = [v for v in values if v == v]
        if not finite:
            return cls(len(steps), steps[0], steps[-1], None, None, None, None)
        vmin, vmax = min(finite), max(finite)
        return cls(
            len(steps),
            steps[0],
            steps[-1],
            vmin,
            vmax,
            steps[_index(values, vmin)],
            steps[_index(values, vmax)],
        )

    @classmethod
    def merge(cls, parts: Iterable[Extremes]) -> Extremes:
        parts = list(parts)
        lows = [p for p in parts if p.vmin is not None]
        lo = min(lows, key=lambda p: p.vmin) if lows else None  # type: ignore[arg-type,return-value]
        hi = max(lows, key=lambda p: p.vmax) if lows else None  # type: ignore[arg-type,return-value]
        return cls(
            sum(p.n for p in parts),
            min(p.step_lo for p in parts),
            max(p.step_hi for p in parts),
            lo.vmin if lo else None,
            hi.vmax if hi else None,
            lo.step_at_min if lo else None,
            hi.step_at_max if hi else None,
        )

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in _SUMMARY)


def _index(values: Sequence[float], target: float) -> int:
    return values.index(target)


def write_series(
    conn: Any, key_id: int, steps: list[int], times: list[float], values: list[float]
) -> None:
    """Merge points into their chunks (a step logged again replaces the old point)."""
    if any(b <= a for a, b in pairwise(steps)):
        order = sorted(range(len(steps)), key=steps.__getitem__)
        merged: dict[int, tuple[float, float]] = {}
        for i in order:
            merged[steps[i]] = (times[i], values[i])
        steps = sorted(merged)
        times = [merged[s][0] for s in steps]
        values = [merged[s][1] for s in steps]
    first, last = steps[0] >> CHUNK_SHIFT, steps[-1] >> CHUNK_SHIFT
    existing = _load_chunks(conn, key_id, first, last)
    rows = []
    start = 0
    for chunk in range(first, last + 1):
        end = bisect_left(steps, (chunk + 1) << CHUNK_SHIFT, start)
        if end == start:
            continue
        c_steps, c_times, c_values = steps[start:end], times[start:end], values[start:end]
        if chunk in existing:
            c_steps, c_times, c_values = _merge(existing[chunk], c_steps, c_times, c_values)
        start = end
        ext = Extremes.of(c_steps, c_values)
        rows.append(
            (
                key_id,
                chunk,
                *ext.row(),
                array("q", c_steps).tobytes(),
                array("d", c_times).tobytes(),
                array("d", c_values).tobytes(),
            )
        )
    p = _param(conn)
    conn.exec_driver_sql(
        "INSERT INTO dl_metric_chunks (key_id, chunk, n, step_lo, step_hi, vmin, vmax,"
        f" step_at_min, step_at_max, steps, times, vals) VALUES ({', '.join([p] * 12)})"
        " ON CONFLICT (key_id, chunk) DO UPDATE SET n = excluded.n, step_lo = excluded.step_lo,"
        " step_hi = excluded.step_hi, vmin = excluded.vmin, vmax = excluded.vmax,"
        " step_at_min = excluded.step_at_min, step_at_max = excluded.step_at_max,"
        " steps = excluded.steps, times = excluded.times, vals = excluded.vals",
        rows,
    )
    _refresh_blocks(conn, key_id, first, last)


def key_stats(conn: Any, key_id: int) -> tuple[int, Extremes | None, int | None, float | None]:
    """(count, extremes, last step, last value) of a series, from its top-level blocks."""
    p = _param(conn)
    tops = conn.exec_driver_sql(
        f"SELECT {', '.join(_SUMMARY)} FROM dl_metric_blocks WHERE key_id = {p} AND level = {p}",
        (key_id, LEVELS),
    ).fetchall()
    if not tops:
        return 0, None, None, None
    ext = Extremes.merge(Extremes(*row) for row in tops)
    last = conn.exec_driver_sql(
        f"SELECT vals FROM dl_metric_chunks WHERE key_id = {p} ORDER BY chunk DESC LIMIT 1",
        (key_id,),
    ).scalar()
    values = array("d")
    values.frombytes(last)
    return ext.n, ext, ext.step_hi, values[-1]


def count_in_range(conn: Any, key_id: int, lo: int, hi: int) -> int:
    steps, _, _ = read_points(conn, key_id, lo, hi, with_values=False)
    return len(steps)


def read_points(
    conn: Any, key_id: int, lo: int, hi: int, with_values: bool = True
) -> tuple[list[int], list[float], list[float]]:
    """Every point with ``lo <= step <= hi``, in step order."""
    p = _param(conn)
    columns = "steps, times, vals" if with_values else "steps"
    rows = conn.exec_driver_sql(
        f"SELECT {columns} FROM dl_metric_chunks WHERE key_id = {p} AND chunk >= {p}"
        f" AND chunk <= {p} ORDER BY chunk",
        (key_id, lo >> CHUNK_SHIFT, hi >> CHUNK_SHIFT),
    ).fetchall()
    steps, times, values = array("q"), array("d"), array("d")
    for row in rows:
        steps.frombytes(row[0])
        if with_values:
            times.frombytes(row[1])
            values.frombytes(row[2])
    i, j = bisect_left(steps, lo), bisect_left(steps, hi + 1)
    return steps[i:j].tolist(), times[i:j].tolist(), values[i:j].tolist()


def extremes_in_range(conn: Any, key_id: int, lo: int, hi: int, buckets: int) -> list[Extremes]:
    """Summaries exactly covering ``[lo, hi]``, as coarse as ~8 per bucket allows.

    Whole chunks or blocks inside the range are read as summaries; the partial
    ones at each edge are covered by the next finer level, down to raw points,
    so nothing outside the range leaks into a zoomed chart.
    """
    span = hi - lo + 1
    level = next(
        (lv for lv in range(LEVELS + 1) if span / (CHUNK * FANOUT**lv) <= buckets * 8), LEVELS
    )
    return _cover(conn, key_id, lo, hi, level)


def _cover(conn: Any, key_id: int, lo: int, hi: int, level: int) -> list[Extremes]:
    if lo > hi:
        return []
    if level < 0:
        steps, _, values = read_points(conn, key_id, lo, hi)
        return [Extremes.of(steps, values)] if steps else []
    shift = CHUNK_SHIFT + 4 * level
    first = -(-lo >> shift)  # first unit starting at or after lo
    last = ((hi + 1) >> shift) - 1  # last unit ending at or before hi
    if first > last:
        return _cover(conn, key_id, lo, hi, level - 1)
    p = _param(conn)
    if level == 0:
        sql = (
            f"SELECT {', '.join(_SUMMARY)} FROM dl_metric_chunks WHERE key_id = {p}"
            f" AND chunk >= {p} AND chunk <= {p} ORDER BY chunk"
        )
        args: tuple[int, ...] = (key_id, first, last)
    else:
        sql = (
            f"SELECT {', '.join(_SUMMARY)} FROM dl_metric_blocks WHERE key_id = {p}"
            f" AND level = {p} AND block >= {p} AND block <= {p} ORDER BY block"
        )
        args = (key_id, level, first, last)
    whole = [Extremes(*row) for row in conn.exec_driver_sql(sql, args).fetchall()]
    before = _cover(conn, key_id, lo, (first << shift) - 1, level - 1)
    after = _cover(conn, key_id, (last + 1) << shift, hi, level - 1)
    return before + whole + after


def downsample(
    steps: list[int], times: list[float], values: list[float], points: int
) -> tuple[list[int], list[float], list[float]]:
    """Min and max of each of ``points // 2`` equal-count buckets, in step order."""
    buckets = max(1, points // 2)
    n = len(steps)
    keep: list[int] = []
    for b in range(buckets):
        start, end = b * n // buckets, (b + 1) * n // buckets
        if start >= end:
            continue
        ext = Extremes.of(steps[start:end], values[start:end])
        if ext.step_at_min is None or ext.step_at_max is None:
            keep.append(start)  # all NaN: keep one, so the gap shows
            continue
        i_min = start + steps[start:end].index(ext.step_at_min)
        i_max = start + steps[start:end].index(ext.step_at_max)
        keep.extend(sorted({i_min, i_max}))
    return [steps[i] for i in keep], [times[i] for i in keep], [values[i] for i in keep]


def downsample_extremes(
    parts: list[Extremes], lo: int, hi: int, points: int
) -> tuple[list[int], list[float]]:
    """Min and max per equal-width step bucket, from chunk or block summaries."""
    buckets = max(1, points // 2)
    width = (hi - lo + 1) / buckets
    grouped: dict[int, list[Extremes]] = {}
    for part in parts:
        b = min(buckets - 1, max(0, int((part.step_lo - lo) / width)))
        grouped.setdefault(b, []).append(part)
    steps: list[int] = []
    values: list[float] = []
    for b in sorted(grouped):
        ext = Extremes.merge(grouped[b])
        if ext.vmin is None or ext.vmax is None:
            steps.append(ext.step_lo)
            values.append(math.nan)
            continue
        pair = sorted({(ext.step_at_min, ext.vmin), (ext.step_at_max, ext.vmax)})
        for s, v in pair:
            steps.append(int(s))  # type: ignore[arg-type]
            values.append(v)
    return steps, values


def _merge(
    row: tuple[bytes, bytes, bytes], steps: list[int], times: list[float], values: list[float]
) -> tuple[list[int], list[float], list[float]]:
    old_s, old_t, old_v = array("q"), array("d"), array("d")
    old_s.frombytes(row[0])
    old_t.frombytes(row[1])
    old_v.frombytes(row[2])
    merged = dict(zip(old_s, zip(old_t, old_v, strict=True), strict=True))
    merged.update(zip(steps, zip(times, values, strict=True), strict=True))
    order = sorted(merged)
    return order, [merged[s][0] for s in order], [merged[s][1] for s in order]


def _load_chunks(
    conn: Any, key_id: int, first: int, last: int
) -> dict[int, tuple[bytes, bytes, bytes]]:
    p = _param(conn)
    rows = conn.exec_driver_sql(
        f"SELECT chunk, steps, times, vals FROM dl_metric_chunks WHERE key_id = {p}"
        f" AND chunk >= {p} AND chunk <= {p}",
        (key_id, first, last),
    ).fetchall()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def _refresh_blocks(conn: Any, key_id: int, first: int, last: int) -> None:
    """Recompute the blocks above chunks ``first..last``, one level at a time."""
    p = _param(conn)
    below_table, below_key, below_level = "dl_metric_chunks", "chunk", None
    for level in range(1, LEVELS + 1):
        first, last = first // FANOUT, last // FANOUT
        level_filter = "" if below_level is None else f" AND level = {below_level}"
        rows = conn.exec_driver_sql(
            f"SELECT {below_key}, {', '.join(_SUMMARY)} FROM {below_table}"
            f" WHERE key_id = {p}{level_filter} AND {below_key} >= {p} AND {below_key} < {p}"
            f" ORDER BY {below_key}",
            (key_id, first * FANOUT, (last + 1) * FANOUT),
        ).fetchall()
        grouped: dict[int, list[Extremes]] = {}
        for row in rows:
            grouped.setdefault(row[0] // FANOUT, []).append(Extremes(*row[1:]))
        conn.exec_driver_sql(
            "INSERT INTO dl_metric_blocks (key_id, level, block, n, step_lo, step_hi, vmin, vmax,"
            f" step_at_min, step_at_max) VALUES ({', '.join([p] * 10)})"
            " ON CONFLICT (key_id, level, block) DO UPDATE SET n = excluded.n,"
            " step_lo = excluded.step_lo, step_hi = excluded.step_hi, vmin = excluded.vmin,"
            " vmax = excluded.vmax, step_at_min = excluded.step_at_min,"
            " step_at_max = excluded.step_at_max",
            [(key_id, level, b, *Extremes.merge(parts).row()) for b, parts in grouped.items()],
        )
        below_table, below_key, below_level = "dl_metric_blocks", "block", level


def _param(conn: Any) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"
