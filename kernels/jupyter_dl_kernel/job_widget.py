"""The live view of a training job in the cell that launched it.

A header (name, id, status, processes, elapsed time, restarts, the run's latest
step and metrics), a progress bar when the number of steps is known, and the
ranks' output as it arrives (the last lines, each prefixed with its rank when
there are several). Two daemon threads keep it current, one following the logs
and one refreshing the header, so the kernel stays free while the job runs;
both stop when the job ends. Only ipywidgets is needed.
"""

from __future__ import annotations

import html
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from .widgets import format_duration, format_number

if TYPE_CHECKING:
    from jupyter_dl.training.job import Job

log = logging.getLogger(__name__)

#: Lines of output the view keeps; the whole log stays in the job's folder.
MAX_LINES = 400
_FINAL = frozenset({"succeeded", "failed", "cancelled"})
_STATUS_COLOURS = {
    "queued": "var(--jp-ui-font-color2)",
    "running": "var(--jp-brand-color1)",
    "succeeded": "var(--jp-success-color1)",
    "failed": "var(--jp-error-color1)",
    "cancelled": "var(--jp-warn-color1)",
}
_BAR_STYLES = {"succeeded": "success", "failed": "danger", "cancelled": "warning"}
_TEXT_STYLE = "font-size: var(--jp-ui-font-size1); color: var(--jp-ui-font-color1);"
_LOG_STYLE = (
    "max-height: 20em; overflow-y: auto; margin: 4px 0; padding: 4px;"
    " font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size);"
    " background: var(--jp-layout-color2); color: var(--jp-content-font-color1);"
    " white-space: pre-wrap;"
)


class JobWidget:
    """Status, progress and output of ``job``, refreshed every ``interval`` seconds."""

    def __init__(self, job: Job, total_steps: int | None = None, interval: float = 1.0) -> None:
        import ipywidgets as widgets  # type: ignore[import-untyped]

        self.job = job
        self.total_steps = total_steps
        self.interval = interval
        self.lines: deque[str] = deque(maxlen=MAX_LINES)
        self.header = widgets.HTML()
        self.progress = widgets.IntProgress(
            min=0, max=max(total_steps or 1, 1), layout=widgets.Layout(width="100%")
        )
        self.output = widgets.HTML()
        parts = [self.header, self.progress] if total_steps else [self.header]
        self.box = widgets.VBox([*parts, self.output])
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.record: dict[str, Any] | None = None

    def show(self) -> None:
        """Display the view and keep it current until the job ends."""
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]
        self.refresh()
        for target, name in ((self._follow, "logs"), (self._poll, "status")):
            thread = threading.Thread(target=target, name=f"job-{self.job.id}-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def close(self) -> None:
        """Stop updating; what is drawn stays in the cell."""
        self._stopping.set()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout=max(5.0, 2 * self.interval))

    @property
    def updating(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def refresh(self) -> dict[str, Any] | None:
        """Read the job (and its run) once and redraw the header."""
        try:
            record = self.job.refresh()
            metrics = self._metrics(record)
        except Exception as e:
            log.debug("Could not read job %s", self.job.id, exc_info=True)
            self.header.value = (
                f'<div style="{_TEXT_STYLE} color: var(--jp-error-color1);">'
                f"{html.escape(f'Could not read job {self.job.id}: {e}')}</div>"
            )
            return None
        self.record = record
        self.header.value = render_header(record, metrics)
        if self.total_steps:
            self.progress.value = min(int(metrics.get("step") or 0), self.total_steps)
            self.progress.bar_style = _BAR_STYLES.get(record["status"], "")
        return record

    def add(self, text: str) -> None:
        """Append output to the log view."""
        with self._lock:
            self.lines.extend(text.splitlines())
            body = "\n".join(self.lines)
        self.output.value = f'<pre style="{_LOG_STYLE}">{html.escape(body)}</pre>'

    def _follow(self) -> None:
        try:
            for _, text in self.job.stream(stop=self._stopping):
                self.add(text)
        except Exception:
            log.debug("Stopped following job %s", self.job.id, exc_info=True)

    def _poll(self) -> None:
        while not self._stopping.wait(self.interval):
            record = self.refresh()
            if record is not None and record["status"] in _FINAL:
                return

    def _metrics(self, record: dict[str, Any]) -> dict[str, Any]:
        """The latest step and values of the job's run (empty before rank 0 logs)."""
        if not record.get("run_id"):
            return {}
        try:
            run = self.job.service.tracking.get_run(record["run_id"])
        except Exception:
            return {}
        shown = [m for m in run["metrics"] if not m["key"].startswith("system/")]
        steps = [m["last_step"] for m in shown if m["last_step"] is not None]
        return {"step": max(steps, default=None), "last": {m["key"]: m["last"] for m in shown}}


def render_header(record: dict[str, Any], metrics: dict[str, Any]) -> str:
    """One line: name, id, status, processes, elapsed, restarts, step and latest metrics."""
    status = record["status"]
    colour = _STATUS_COLOURS.get(status, "var(--jp-ui-font-color2)")
    devices = f", {record['gpus']} GPU" if record["gpus"] else ""
    parts = [
        f"<b>{html.escape(record['name'])}</b> <code>{html.escape(record['id'])}</code>",
        f'<span style="color: {colour}; font-weight: bold;">{html.escape(status)}</span>',
        f"{record['nproc']} process{'es' if record['nproc'] != 1 else ''}{devices}",
    ]
    if record.get("duration") is not None:
        parts.append(format_duration(record["duration"]))
    if record.get("restarts"):
        parts.append(f"{record['restarts']} restart{'s' if record['restarts'] != 1 else ''}")
    if metrics.get("step") is not None:
        parts.append(f"step {metrics['step']}")
    for key, value in sorted((metrics.get("last") or {}).items())[:6]:
        shown = format_number(value) if isinstance(value, (int, float)) else str(value)
        parts.append(f"{html.escape(key)} {html.escape(shown)}")
    line = " · ".join(parts)
    error = ""
    if status == "failed" and record.get("error"):
        # The last line of the first failing rank's traceback: what was raised.
        cause = record["error"].split("\n\n")[0].strip().splitlines()[-1]
        error = f'<div style="color: var(--jp-error-color1);">{html.escape(cause)}</div>'
    return f'<div style="{_TEXT_STYLE}">{line}{error}</div>'
