"""The folder of one training job, and the environment its processes share.

The service that launches a job, the supervisor that watches it, every rank and
the notebook that reads its logs all meet in ``<jobs dir>/<job id>/``; naming
each file once here keeps them agreeing:

``job.json``            what to run (written once, before the job starts)
``payload.pkl``         a function job's ``(fn, args, kwargs)``, cloudpickled
``rank-<n>.log``        everything rank ``n`` printed, all attempts appended
``pids/rank-<n>.json``  the process of rank ``n``'s current attempt
``exits/rank-<n>.json`` how rank ``n``'s last attempt ended, when it ended by itself
``errors/attempt-<k>-rank-<n>.json``  the traceback of a rank that raised
``result.pkl``          rank 0's return value, cloudpickled
``result-error.txt``    why that value could not be kept
``checkpoints/``        what ``dl.distributed.save_checkpoint`` wrote
``outcome.json``        how the job ended, written by the supervisor before the store
``cancel``              present once someone asked the job to stop
``supervisor.log``      the supervisor's and torch elastic's own messages
``pods/<pod>.log``      what a cluster job's pod printed outside its ranks (torchrun's own
                        messages, an image that cannot run the job)
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: Set in every process of a job: its id, its folder, its tracked run and checkpoints.
JOB_ID_ENV = "JUPYTER_DL_JOB_ID"
JOB_DIR_ENV = "JUPYTER_DL_JOB_DIR"
RUN_ID_ENV = "JUPYTER_DL_RUN_ID"
CHECKPOINTS_ENV = "JUPYTER_DL_CHECKPOINT_DIR"


@dataclass(frozen=True)
class JobFiles:
    """Paths and small readers/writers of one job's folder."""

    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "job.json"

    @property
    def payload(self) -> Path:
        return self.root / "payload.pkl"

    @property
    def result(self) -> Path:
        return self.root / "result.pkl"

    @property
    def result_error(self) -> Path:
        return self.root / "result-error.txt"

    @property
    def outcome(self) -> Path:
        return self.root / "outcome.json"

    @property
    def cancel(self) -> Path:
        return self.root / "cancel"

    @property
    def supervisor_log(self) -> Path:
        return self.root / "supervisor.log"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    def log(self, rank: int) -> Path:
        return self.root / f"rank-{rank}.log"

    def pod_log(self, pod: str) -> Path:
        return self.root / "pods" / f"{pod}.log"

    def pid(self, rank: int) -> Path:
        return self.root / "pids" / f"rank-{rank}.json"

    def exit(self, rank: int) -> Path:
        return self.root / "exits" / f"rank-{rank}.json"

    def error(self, rank: int, attempt: int) -> Path:
        return self.root / "errors" / f"attempt-{attempt}-rank-{rank}.json"

    # -- reading and writing -------------------------------------------------

    def read_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = json.loads(self.spec.read_text())
        return spec

    def write_json(self, path: Path, value: Any) -> None:
        atomic_write(path, json.dumps(value).encode())

    def read_json(self, path: Path) -> Any:
        """The JSON at ``path``, or None when it is missing or half-written."""
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None

    def ranks(self, nproc: int, kind: str) -> list[Any]:
        """The per-rank JSON records of one kind (``pid`` or ``exit``), None where missing."""
        where = self.pid if kind == "pid" else self.exit
        return [self.read_json(where(rank)) for rank in range(nproc)]

    def errors(self, attempt: int) -> list[dict[str, Any]]:
        """Tracebacks of the ranks that raised in ``attempt``, earliest first."""
        found = []
        for path in sorted((self.root / "errors").glob(f"attempt-{attempt}-rank-*.json")):
            record = self.read_json(path)
            if isinstance(record, dict):
                found.append(record)
        return sorted(found, key=lambda r: (r.get("time", 0.0), r.get("rank", 0)))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half."""
    with atomic_file(path) as out:
        out.write(data)


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """A file to write that appears at ``path`` only once complete and on disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
