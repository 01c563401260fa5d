"""A run's mailbox in a shared folder, for processes that cannot reach the store.

The ranks of a job on a cluster (Kubernetes pods) see the job's folder but not
the platform's store: an SQLite file on the user's server, or a database the
cluster has no route or credentials to. With ``JUPYTER_DL_TRACKING_DIR`` set,
what ``dl.log``, ``dl.init`` and ``log_artifact`` would send to the store is
written into that folder instead (:class:`FolderTransport`), and the job's
supervisor, which has the store, replays it there in order (:class:`Relay`).
Metrics reach the Experiments panel a second or so later; nothing else changes
for the code that logs.

``run.json``            the run when the job started (written by the relay)
``<host>-<pid>-<t>.jsonl``  one file per writing process, one operation a line
``files/<id>``          an artifact's bytes, complete before the line naming it
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, PlatformError
from .values import decode, encode

if TYPE_CHECKING:
    from .client import Columns
    from .service import TrackingService

log = logging.getLogger("jupyter_dl.tracking.folder")

RUN_FILE = "run.json"
FILES = "files"


class FolderTransport:
    """Writes a run's updates, metrics and artifacts into ``folder`` for the relay."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        name = f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}.jsonl"
        self._log = self.folder / name
        self._lock = threading.Lock()
        self._record: dict[str, Any] | None = None

    def create_run(self, fields: dict[str, Any]) -> dict[str, Any]:
        raise PlatformError(
            f"this process records into its job's run through {self.folder}; it cannot"
            " start runs of its own"
        )

    def get_run(self, run_id: str) -> dict[str, Any]:
        return dict(self._run(run_id))

    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        self._append({"op": "update_run", "run": run_id, "changes": changes})
        record = self._run(run_id)
        for key, value in changes.items():
            merge = key in ("config", "summary") and isinstance(value, dict)
            record[key] = {**record.get(key, {}), **value} if merge else value
        return dict(record)

    def log_series(self, run_id: str, columns: Columns) -> int:
        rows = [
            [key, s, t, encode(v)]
            for key, (steps, times, values) in columns.items()
            for s, t, v in zip(steps, times, values, strict=True)
        ]
        self._append({"op": "log_series", "run": run_id, "rows": rows})
        return len(rows)

    def heartbeat(self, run_id: str) -> None:
        """Nothing to do: the job's supervisor keeps the run alive while the job runs."""

    def add_artifact(self, run_id: str, name: str, data: bytes | Path) -> dict[str, Any]:
        from ..training.files import atomic_write

        payload = data.read_bytes() if isinstance(data, Path) else data
        stored = f"{FILES}/{uuid.uuid4().hex}"
        atomic_write(self.folder / stored, payload)
        self._append({"op": "add_artifact", "run": run_id, "name": name, "file": stored})
        return {"name": name, "size": len(payload)}

    def series(self, run_id: str, key: str, points: int) -> dict[str, Any]:
        raise PlatformError(
            "a job's processes write their run's metrics but cannot read them back;"
            " read them from the Experiments panel or dl.job(...).run"
        )

    def _run(self, run_id: str) -> dict[str, Any]:
        if self._record is None:
            try:
                self._record = json.loads((self.folder / RUN_FILE).read_text())
            except (OSError, ValueError):
                raise NotFound(f"no run in {self.folder}") from None
        if self._record is None or self._record.get("id") != run_id:
            raise NotFound(f"run {run_id} is not the run of {self.folder}")
        return self._record

    def _append(self, operation: dict[str, Any]) -> None:
        line = json.dumps(operation, allow_nan=False) + "\n"
        with self._lock:
            self._log.parent.mkdir(parents=True, exist_ok=True)
            with self._log.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()


class Relay:
    """Replays what processes wrote into ``folder`` into ``tracking``, as they write it.

    Each process's file is read from where the last pass stopped, whole lines only;
    an operation the store refuses is logged and skipped, never retried forever.
    """

    def __init__(
        self, folder: Path, tracking: TrackingService, run_id: str, interval: float = 1.0
    ) -> None:
        self.folder = Path(folder)
        self.tracking = tracking
        self.run_id = run_id
        self.interval = interval
        self._offsets: dict[str, int] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tracking-relay", daemon=True)

    def start(self) -> None:
        """Give the processes their run, and start relaying."""
        from ..training.files import atomic_write

        record = self.tracking.get_run(self.run_id)
        atomic_write(self.folder / RUN_FILE, json.dumps(record, default=str).encode())
        self._thread.start()

    def stop(self) -> None:
        """Stop relaying, after one last pass over everything written so far."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)
        self.drain()

    def drain(self) -> int:
        """Replay every complete operation written since the last pass; how many."""
        done = 0
        for path in sorted(self.folder.glob("*.jsonl")):
            offset = self._offsets.get(path.name, 0)
            try:
                with path.open("rb") as f:
                    f.seek(offset)
                    data = f.read()
            except OSError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            for line in complete.splitlines():
                if line.strip():
                    self._apply(line)
                    done += 1
            self._offsets[path.name] = offset + len(complete)
        return done

    def _loop(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                self.drain()
            except Exception as e:  # the relay must outlive one bad pass
                log.warning("relaying the metrics of run %s failed: %s", self.run_id, e)

    def _apply(self, line: bytes) -> None:
        try:
            op = json.loads(line)
            kind = op["op"]
            if kind == "log_series":
                columns: Columns = {}
                for key, step, t, value in op["rows"]:
                    steps, times, values = columns.setdefault(key, ([], [], []))
                    steps.append(step)
                    times.append(t)
                    values.append(decode(value, str(key)))
                self.tracking.log_series(self.run_id, columns)
            elif kind == "update_run":
                self.tracking.update_run(self.run_id, op["changes"])
            elif kind == "add_artifact":
                source = self.folder / op["file"]
                self.tracking.add_artifact(self.run_id, op["name"], source)
                source.unlink(missing_ok=True)
            else:
                raise ValueError(f"unknown operation {kind!r}")
        except (PlatformError, ValueError, KeyError, TypeError, OSError) as e:
            log.warning("skipped an update of run %s: %s", self.run_id, e)
