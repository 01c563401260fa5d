"""The live view of a run in the notebook cell that trains it.

A scientist watching a cell train wants the curves without leaving the cell:
a header (name, status, step, elapsed time, latest values), a progress bar
when the number of steps is known, and one small chart per metric. Charts are
inline SVG inside an ``ipywidgets.HTML``, so they need no plotting library and
no front-end extension beyond ipywidgets, and they follow JupyterLab's theme
through its CSS variables. A daemon thread redraws every ``interval`` seconds
while the run is running (ipykernel 6 sends widget updates from any thread),
draws once more when it ends, and stops.
"""

from __future__ import annotations

import html
import logging
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

log = logging.getLogger(__name__)

#: A snapshot of a run: name, status, step, elapsed, total_steps and metrics.
Snapshot = dict[str, Any]

#: Points drawn per chart at most; longer series keep each bucket's extremes.
MAX_POINTS = 500
#: Consecutive failed fetches after which the view stops updating.
MAX_FAILURES = 10

WIDTH, HEIGHT = 300, 100

_STATUS_COLOURS = {
    "running": "var(--jp-brand-color1)",
    "finished": "var(--jp-success-color1)",
    "failed": "var(--jp-error-color1)",
    "crashed": "var(--jp-error-color1)",
    "killed": "var(--jp-warn-color1)",
}


class RunWidget:
    """A header, optional progress bar and metric charts, kept current by a thread.

    ``fetch`` returns the run's current snapshot: ``{"name", "status",
    "step", "elapsed" (seconds), "total_steps" (int or None), "metrics":
    {key: {"steps": [...], "values": [...]}}}``. It is called on the
    widget's thread, so it must not need the kernel's main thread.
    """

    def __init__(self, run_id: str, fetch: Callable[[], Snapshot], interval: float = 1.0) -> None:
        import ipywidgets as widgets  # type: ignore[import-untyped]

        self.run_id = run_id
        self.interval = interval
        self._fetch = fetch
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.header = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=1, layout=widgets.Layout(width="100%"))
        self.chart = widgets.HTML()
        self.box = widgets.VBox([self.header, self.chart])
        self.snapshot: Snapshot | None = None

    def show(self) -> None:
        """Display the view in the current cell and keep it current while the run runs."""
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]
        snapshot = self.refresh()
        if snapshot is None or _is_running(snapshot):
            self._start()

    def refresh(self) -> Snapshot | None:
        """Fetch the run once and redraw; the snapshot, or None if fetching failed."""
        with self._lock:
            try:
                snapshot = self._fetch()
            except Exception as e:
                log.debug("Could not read run %s", self.run_id, exc_info=True)
                self.header.value = _error_header(self.run_id, e)
                return None
            self.snapshot = snapshot
            self._draw(snapshot)
            return snapshot

    def close(self) -> None:
        """Stop updating; what is drawn stays in the cell."""
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=max(5.0, 2 * self.interval))

    @property
    def updating(self) -> bool:
        """Whether the view is still being kept current."""
        return self._thread is not None and self._thread.is_alive()

    def _start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._poll, name=f"jupyter-dl-run-{self.run_id}", daemon=True
        )
        self._thread.start()

    def _poll(self) -> None:
        failures = 0
        while not self._stopping.wait(self.interval):
            snapshot = self.refresh()
            if snapshot is None:
                failures += 1
                if failures >= MAX_FAILURES:
                    return
                continue
            failures = 0
            if not _is_running(snapshot):
                return  # that refresh drew the final state

    def _draw(self, snapshot: Snapshot) -> None:
        self.header.value = render_header(snapshot)
        self.chart.value = render_charts(snapshot.get("metrics") or {})
        total = snapshot.get("total_steps")
        if total:
            self.progress.max = int(total)
            self.progress.value = min(int(snapshot.get("step") or 0), int(total))
            self.progress.bar_style = _bar_style(str(snapshot.get("status")))
        children = (self.header, self.progress, self.chart) if total else (self.header, self.chart)
        if tuple(self.box.children) != children:
            self.box.children = children


def render_header(snapshot: Snapshot) -> str:
    """One line: name, status, step (of total), elapsed time and each metric's latest value."""
    status = str(snapshot.get("status") or "unknown")
    colour = _STATUS_COLOURS.get(status, "var(--jp-ui-font-color2)")
    step = f"step {snapshot.get('step', 0)}"
    if snapshot.get("total_steps"):
        step += f" / {snapshot['total_steps']}"
    parts = [
        f"<b>{html.escape(str(snapshot.get('name') or ''))}</b>",
        f'<span style="color: {colour}">{html.escape(status)}</span>',
        step,
        format_duration(float(snapshot.get("elapsed") or 0)),
    ]
    for key, series in (snapshot.get("metrics") or {}).items():
        values = series.get("values") or []
        if values:
            parts.append(f"{html.escape(key)} {format_number(_as_float(values[-1]))}")
    return f'<div style="{_TEXT_STYLE}">{" · ".join(parts)}</div>'


def render_charts(metrics: dict[str, dict[str, Sequence[Any]]]) -> str:
    """Small multiples: one titled SVG chart per metric, laid out in a responsive grid."""
    cells = [_chart_cell(key, series) for key, series in metrics.items()]
    if not cells:
        return f'<div style="{_TEXT_STYLE}">No metrics logged yet.</div>'
    return (
        '<div style="display: grid; gap: 8px;'
        ' grid-template-columns: repeat(auto-fill, minmax(220px, 1fr));">'
        + "".join(cells)
        + "</div>"
    )


def render_svg(steps: Sequence[Any], values: Sequence[Any]) -> str:
    """An SVG line of ``values`` over ``steps``; NaN, inf and null break the line."""
    # A series read while it grows may have one more step than values; draw the common part.
    pairs = zip(steps, values, strict=False)
    points = thin([(float(s), _as_float(v)) for s, v in pairs], MAX_POINTS)
    finite = [(s, v) for s, v in points if math.isfinite(v)]
    lines = []
    if finite:
        scale = _scale(finite)
        for segment in _segments(points):
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in map(scale, segment))
            if len(segment) == 1:
                coords = f"{coords} {coords}"  # a lone point, drawn as a dot by the round cap
            lines.append(f'<polyline points="{coords}" vector-effect="non-scaling-stroke"/>')
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" height="{HEIGHT}"'
        f' preserveAspectRatio="none"><g style="{_LINE_STYLE}">{"".join(lines)}</g></svg>'
    )


def thin(points: list[tuple[float, float]], limit: int) -> list[tuple[float, float]]:
    """At most about ``limit`` points, keeping each bucket's lowest, highest and first gap.

    Keeping extremes rather than every n-th point means a loss spike still
    shows after a million steps.
    """
    if len(points) <= limit:
        return points
    size = math.ceil(len(points) / max(1, limit // 3))
    kept: list[tuple[float, float]] = []
    for start in range(0, len(points), size):
        bucket = range(start, min(start + size, len(points)))
        finite = [i for i in bucket if math.isfinite(points[i][1])]
        chosen: set[int] = set()
        if finite:
            chosen.add(min(finite, key=lambda i: points[i][1]))
            chosen.add(max(finite, key=lambda i: points[i][1]))
        gaps = [i for i in bucket if not math.isfinite(points[i][1])]
        if gaps:
            chosen.add(gaps[0])
        kept.extend(points[i] for i in sorted(chosen))
    return kept


def format_duration(seconds: float) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above."""
    minutes, secs = divmod(int(max(seconds, 0)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_number(value: float) -> str:
    """Four significant digits, which is what a glance at a loss needs."""
    return f"{value:.4g}" if math.isfinite(value) else str(value)


_TEXT_STYLE = "font-size: var(--jp-ui-font-size1); color: var(--jp-ui-font-color1);"
_LINE_STYLE = (
    "fill: none; stroke: var(--jp-brand-color1); stroke-width: 1.5;"
    " stroke-linecap: round; stroke-linejoin: round;"
)


def _chart_cell(key: str, series: dict[str, Sequence[Any]]) -> str:
    steps = series.get("steps") or []
    values = series.get("values") or []
    finite = [v for v in map(_as_float, values) if math.isfinite(v)]
    title = html.escape(key)
    if finite:
        title += f" <small>{format_number(min(finite))} … {format_number(max(finite))}</small>"
    return (
        f'<div style="{_TEXT_STYLE} border: 1px solid var(--jp-border-color2); padding: 4px;">'
        f"<div>{title}</div>{render_svg(steps, values)}</div>"
    )


def _segments(points: Iterable[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Runs of finite points between gaps."""
    segments: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if math.isfinite(point[1]):
            segments[-1].append(point)
        elif segments[-1]:
            segments.append([])
    return [s for s in segments if s]


def _scale(
    finite: list[tuple[float, float]],
) -> Callable[[tuple[float, float]], tuple[float, float]]:
    """Map (step, value) into the chart's box, with a margin so lines are not clipped."""
    x0, x1 = min(s for s, _ in finite), max(s for s, _ in finite)
    y0, y1 = min(v for _, v in finite), max(v for _, v in finite)
    margin = 4.0

    def scale(point: tuple[float, float]) -> tuple[float, float]:
        s, v = point
        x = margin + (s - x0) / (x1 - x0) * (WIDTH - 2 * margin) if x1 > x0 else WIDTH / 2
        y = margin + (y1 - v) / (y1 - y0) * (HEIGHT - 2 * margin) if y1 > y0 else HEIGHT / 2
        return x, y

    return scale


def _as_float(value: Any) -> float:
    """A number to plot; JSON null (how NaN travels over REST) and junk become NaN."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _is_running(snapshot: Snapshot) -> bool:
    return snapshot.get("status") == "running"


def _bar_style(status: str) -> str:
    if status == "finished":
        return "success"
    if status in ("failed", "crashed"):
        return "danger"
    if status == "running":
        return ""
    return "warning"


def _error_header(run_id: str, error: Exception) -> str:
    message = html.escape(f"Could not read run {run_id}: {error}")
    return f'<div style="{_TEXT_STYLE} color: var(--jp-error-color1);">{message}</div>'
