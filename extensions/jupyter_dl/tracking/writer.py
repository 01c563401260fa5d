"""The background writer between ``dl.log`` and the store: logging never waits on I/O.

``dl.log`` appends to a deque and returns (a few microseconds). A daemon thread
drains the deque every ``flush_interval`` seconds, or sooner when it holds
``max_pending`` entries, turns the entries into one column batch per metric, and
writes the batch in one transaction. So a ``kill -9`` loses at most the points
of the last interval, and a flush also serves as the run's heartbeat.

When a write fails (the API is unreachable, the database is locked too long) the
batch stays queued and is retried with back-off; nothing logged is dropped while
the process lives.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable

from ..errors import BadRequest, Conflict, NotFound
from .client import Columns, Transport
from .values import resolve

log = logging.getLogger("jupyter_dl.tracking")

Entry = tuple[int, float, dict[str, float]]


class BatchWriter:
    """Batches logged metrics and writes them from a daemon thread."""

    def __init__(
        self,
        transport: Transport,
        run_id: str,
        flush_interval: float = 0.5,
        heartbeat_interval: float = 5.0,
        max_pending: int = 20_000,
        listeners: list[Callable[[list[Entry]], None]] | None = None,
    ) -> None:
        self.transport = transport
        self.run_id = run_id
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.max_pending = max_pending
        self.listeners = listeners or []
        self.error: Exception | None = None
        self._queue: collections.deque[Entry] = collections.deque()
        self._retry: list[Entry] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._queued = 0  # entries accepted so far
        self._written = 0  # entries durably written so far
        self._last_write = time.monotonic()
        self._thread = threading.Thread(
            target=self._loop, name=f"jupyter-dl-writer-{run_id}", daemon=True
        )
        self._thread.start()

    def put(self, step: int, t: float, metrics: dict[str, float]) -> None:
        """Queue one ``dl.log`` call; called on the training thread, so it only appends."""
        self._queue.append((step, t, metrics))
        self._queued += 1
        if len(self._queue) >= self.max_pending:
            self._wake.set()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Block until everything queued so far is written; False on timeout."""
        target = self._queued
        self._wake.set()
        with self._done:
            return self._done.wait_for(
                lambda: self._written >= target or self._stop.is_set(), timeout
            )

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        self.flush(timeout)
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self.flush_interval
        while not self._stop.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            delay = self.flush_interval if self._write() else min(delay * 2, 30.0)
        self._write()

    def _write(self) -> bool:
        """Write the queued entries; True when the store accepted them (or there were none)."""
        queued = [self._queue.popleft() for _ in range(len(self._queue))]
        batch = self._retry + [(step, t, resolve(metrics)) for step, t, metrics in queued]
        self._retry = []
        try:
            if batch:
                self.transport.log_series(self.run_id, to_columns(batch))
                for listener in self.listeners:
                    _notify(listener, batch)
                self._last_write = time.monotonic()
            elif time.monotonic() - self._last_write >= self.heartbeat_interval:
                self.transport.heartbeat(self.run_id)
                self._last_write = time.monotonic()
        except (BadRequest, Conflict, NotFound) as e:
            # Retrying cannot help (the run was deleted or ended elsewhere): say so once.
            log.error(
                "jupyter-dl: dropped %d metric entries of run %s: %s", len(batch), self.run_id, e
            )
            self.error = e
        except Exception as e:  # a training loop must never die of its logger
            if self.error is None or str(e) != str(self.error):
                log.warning(
                    "jupyter-dl: could not write metrics of run %s (will retry): %s", self.run_id, e
                )
            self.error = e
            self._retry = batch
            return False
        else:
            self.error = None
        with self._done:
            self._written += len(batch)
            self._done.notify_all()
        return True


def to_columns(batch: list[Entry]) -> Columns:
    """Entries as one (steps, times, values) triple per metric key."""
    if not batch:
        return {}
    keys = batch[0][2].keys()
    if all(entry[2].keys() == keys for entry in batch):
        # The usual case, the same metrics every step: transpose with comprehensions.
        steps = [entry[0] for entry in batch]
        times = [entry[1] for entry in batch]
        return {key: (steps, times, [entry[2][key] for entry in batch]) for key in keys}
    columns: Columns = {}
    for step, t, metrics in batch:
        for key, value in metrics.items():
            column = columns.get(key)
            if column is None:
                column = columns[key] = ([], [], [])
            column[0].append(step)
            column[1].append(t)
            column[2].append(value)
    return columns


def _notify(listener: Callable[[list[Entry]], None], batch: list[Entry]) -> None:
    try:
        listener(batch)
    except Exception as e:
        log.warning("jupyter-dl: a metrics mirror failed: %s", e)
