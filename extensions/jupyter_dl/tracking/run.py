"""A tracked run as training code sees it: ``log``, ``summary``, ``config``, ``finish``.

Names follow ``wandb`` (``init``/``log``/``summary``/``finish``/``log_artifact``), so
moving existing training code over is a change of import. ``log`` only queues:
the ``BatchWriter`` thread does the writing.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import BadRequest
from .client import Transport
from .values import to_metric
from .writer import BatchWriter, Entry

log = logging.getLogger("jupyter_dl.tracking")

SYSTEM_PREFIX = "system/"
#: The artifact folder of models kept with a run (``run.log_model``), one folder each.
MODELS_FOLDER = "models"


class SyncedDict(dict[str, Any]):
    """A dict that sends each change to the platform (``run.config``, ``run.summary``)."""

    def __init__(self, values: Mapping[str, Any], push: Callable[[dict[str, Any]], None]):
        super().__init__(values)
        self._push = push

    def __setitem__(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, *args: Any, **kwargs: Any) -> None:
        changes = dict(*args, **kwargs)
        self._push(changes)
        super().update(changes)


class Run:
    """A run being tracked from this process.

    ``ends_run=False`` is for a run that belongs to something else (a training job's
    run, which the job ends): ``finish`` writes what was logged but leaves its status.
    """

    def __init__(
        self,
        transport: Transport,
        record: dict[str, Any],
        flush_interval: float = 0.5,
        mirrors: Iterable[Callable[[list[Entry]], None]] = (),
        ends_run: bool = True,
    ) -> None:
        self.transport = transport
        self.ends_run = ends_run
        self.id: str = record["id"]
        self.name: str = record["name"]
        self.project: str = record["project"]
        self.config = SyncedDict(record["config"], lambda c: self._update({"config": c}))
        # Points logged before a summary is set must not overwrite it when they flush.
        self.summary = SyncedDict(record["summary"], self._set_summary)
        self._step = 0
        self._keys: set[str] = set()
        self._finished = False
        self._background: list[threading.Thread] = []
        self._cleanup: list[Callable[[], None]] = []
        self.writer = BatchWriter(transport, self.id, flush_interval, listeners=list(mirrors))
        _live_runs.add(self)

    def __repr__(self) -> str:
        return f"<jupyter_dl.Run {self.project}/{self.name} ({self.id})>"

    # -- logging -------------------------------------------------------------

    def log(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """Record metrics at ``step`` (the next step when omitted); returns at once."""
        if self._finished:
            raise RuntimeError(f"run {self.name} is finished; call dl.init() to start another")
        if step is None:
            step = self._step
            self._step += 1
        elif type(step) is not int or step < 0:
            raise TypeError(f"dl.log: step must be a non-negative int, not {step!r}")
        else:
            self._step = max(self._step, step + 1)
        values = {key: to_metric(value, key) for key, value in metrics.items()}
        if not values.keys() <= self._keys:
            self._check_keys(values)
        self.writer.put(step, time.time(), values)

    @property
    def step(self) -> int:
        """The step the next ``log`` without ``step=`` will use."""
        return self._step

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> dict[str, Any]:
        """Store a file (or every file of a folder) with the run; returns what was stored."""
        source = Path(path)
        if not source.exists():
            raise FileNotFoundError(f"no file or folder at {source}")
        base = name or source.name
        if source.is_dir():
            stored = [
                self.transport.add_artifact(
                    self.id, f"{base}/{f.relative_to(source).as_posix()}", f
                )
                for f in sorted(source.rglob("*"))
                if f.is_file()
            ]
            return {"name": base, "files": len(stored), "size": sum(a["size"] for a in stored)}
        return self.transport.add_artifact(self.id, base, source)

    def log_model(self, model: Any, example_input: Any, name: str = "model") -> dict[str, Any]:
        """Keep a model with the run, packaged the way the registry stores it (exported
        program, weights, signature, example; verified to reproduce the example), as the
        artifact folder ``models/<name>``. Publish it later from the Experiments panel or
        with ``dl.publish``; returns what was stored."""
        import tempfile

        from ..registry.package import PackageError, build

        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(f"name must be a folder name such as 'model', not {name!r}")
        with tempfile.TemporaryDirectory(prefix="jupyter-dl-model-") as tmp:
            try:
                build(model, example_input, Path(tmp) / name)
            except PackageError as e:
                raise ValueError(str(e)) from None
            return self.log_artifact(Path(tmp) / name, f"{MODELS_FOLDER}/{name}")

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything logged so far is in the store."""
        return self.writer.flush(timeout)

    # -- lifecycle -----------------------------------------------------------

    def finish(self, status: str = "finished", exit_code: int | None = None) -> None:
        """Write what is queued, stop background work, and record how the run ended."""
        if self._finished:
            return
        self._finished = True
        for stop in self._cleanup:
            _quietly(stop)
        # Logged points first: a process being stopped may not outlive slower work.
        self.writer.flush()
        for thread in self._background:
            thread.join(timeout=30)
        self.writer.close()
        code = exit_code if exit_code is not None else (0 if status == "finished" else 1)
        summary = dict(self.summary)
        for mirror in self.writer.listeners:
            finish = getattr(mirror, "finish", None)
            if finish is not None:
                _quietly(partial(finish, summary, code))
        if not self.ends_run:
            _live_runs.discard(self)
            return
        try:
            self.transport.update_run(self.id, _ending(status, exit_code))
        except Exception as e:
            log.warning("jupyter-dl: could not mark run %s %s: %s", self.id, status, e)
        _live_runs.discard(self)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is KeyboardInterrupt:
            self.finish("killed", 130)
        else:
            self.finish("failed" if kind else "finished", 1 if kind else 0)

    def in_background(self, target: Callable[[], None], name: str) -> None:
        """Run ``target`` on a thread that ``finish`` waits for (e.g. uploading the code)."""
        thread = threading.Thread(target=lambda: _quietly(target), name=name, daemon=True)
        thread.start()
        self._background.append(thread)

    def on_finish(self, stop: Callable[[], None]) -> None:
        self._cleanup.append(stop)

    # -- notebook ------------------------------------------------------------

    def widget(self, total_steps: int | None = None, interval: float = 1.0) -> Any:
        """Show a live chart and progress of this run in the notebook cell."""
        from jupyter_dl_kernel.widgets import RunWidget

        view = RunWidget(self.id, lambda: self.snapshot(total_steps), interval=interval)
        view.show()
        return view

    def snapshot(self, total_steps: int | None = None, points: int = 300) -> dict[str, Any]:
        """What the live widget draws: status, step, elapsed time and recent series."""
        detail = self.transport.get_run(self.id)
        keys = [m["key"] for m in detail["metrics"] if not m["key"].startswith(SYSTEM_PREFIX)]
        steps = [
            m["last_step"]
            for m in detail["metrics"]
            if m["key"] in keys and m["last_step"] is not None
        ]
        return {
            "name": detail["name"],
            "status": detail["status"],
            "step": max(steps, default=0),
            "elapsed": detail["duration"] or 0.0,
            "total_steps": total_steps,
            "metrics": {
                key: {
                    k: v
                    for k, v in self.transport.series(self.id, key, points).items()
                    if k in ("steps", "values")
                }
                for key in keys
            },
        }

    # -- internals -----------------------------------------------------------

    def _check_keys(self, values: Mapping[str, float]) -> None:
        from .service import _check_key

        for key in values.keys() - self._keys:
            try:
                _check_key(key)
            except BadRequest as e:
                raise ValueError(f"dl.log: {e.message}") from None
            self._keys.add(key)

    def _set_summary(self, values: dict[str, Any]) -> None:
        self.writer.flush()
        self._update({"summary": values})

    def _update(self, changes: dict[str, Any]) -> None:
        self.transport.update_run(self.id, changes)


class DisabledRun(Run):
    """What non-zero ranks get: the same methods, doing nothing."""

    def __init__(self) -> None:
        self.id = ""
        self.name = "disabled"
        self.project = ""
        self.config = SyncedDict({}, lambda c: None)
        self.summary = SyncedDict({}, lambda s: None)
        self._step = 0
        self._finished = False

    def __repr__(self) -> str:
        return "<jupyter_dl.Run disabled on this rank>"

    def log(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        return None

    def log_artifact(self, path: str | os.PathLike[str], name: str | None = None) -> dict[str, Any]:
        return {}

    def log_model(self, model: Any, example_input: Any, name: str = "model") -> dict[str, Any]:
        return {}

    def flush(self, timeout: float = 30.0) -> bool:
        return True

    def finish(self, status: str = "finished", exit_code: int | None = None) -> None:
        self._finished = True

    def widget(self, total_steps: int | None = None, interval: float = 1.0) -> Any:
        return None


def _ending(status: str, exit_code: int | None) -> dict[str, Any]:
    changes: dict[str, Any] = {"status": status}
    if exit_code is not None:
        changes["exit_code"] = exit_code
    return changes


def _quietly(fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as e:
        log.warning("jupyter-dl: %s", e)


# Runs still open when the interpreter exits are finished then; a script that
# died of an exception marks its runs failed.
_live_runs: set[Run] = set()
_failed = False
_previous_hook = sys.excepthook


def _excepthook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
    global _failed
    _failed = True
    _previous_hook(kind, error, tb)


def _finish_all() -> None:
    for run in list(_live_runs):
        run.finish("failed" if _failed else "finished", 1 if _failed else 0)


sys.excepthook = _excepthook
atexit.register(_finish_all)
