"""``dl.train``, ``dl.job`` and ``dl.jobs``: training jobs as a notebook sees them.

``dl.train(fn, nproc=2)`` ships ``fn`` with cloudpickle and returns a :class:`Job`
at once; the job runs detached from the kernel (it survives a kernel restart, and
``dl.job(id)`` finds it again). Everything goes through ``TrainingService`` on the
store this process uses, so the panel, the REST API and the magics see the same
jobs. Bad arguments are refused with a ``ValueError`` before anything starts.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from ..errors import BadRequest
from ..processes import current_user
from .service import FINAL_STATUSES, JobRequest

if TYPE_CHECKING:
    from .service import TrainingService

#: Seconds between looks at a job's status and logs while waiting or following.
POLL_INTERVAL = 0.5


class JobFailed(RuntimeError):
    """A job ended without a result: it failed (with the first failing rank's
    traceback first) or was cancelled."""


class Job:
    """A training job: ``.id``, ``.status``, ``.wait()``, ``.logs()``, ``.cancel()``,
    ``.result()``, ``.run`` (the id of its tracked run)."""

    def __init__(self, service: TrainingService, record: dict[str, Any]) -> None:
        self.service = service
        self.id: str = record["id"]
        self.name: str = record["name"]
        self.run: str | None = record["run_id"]
        self.nproc: int = record["nproc"]
        self._record = record

    def __repr__(self) -> str:
        return f"<jupyter_dl.Job {self.name} ({self.id}): {self._record['status']}>"

    # -- state ---------------------------------------------------------------

    def refresh(self) -> dict[str, Any]:
        """The job as the store has it now: status, exit codes, error, timings, ..."""
        self._record = self.service.get_job(self.id)
        return self._record

    @property
    def status(self) -> str:
        """``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``."""
        status: str = self.refresh()["status"]
        return status

    @property
    def error(self) -> str | None:
        """Why the job failed, the first failing rank's traceback first."""
        error: str | None = self.refresh()["error"]
        return error

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    def wait(self, timeout: float | None = None) -> str:
        """Block until the job ends (``TimeoutError`` after ``timeout`` seconds); its status."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.status
            if status in FINAL_STATUSES:
                return status
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} is still {status} after {timeout} seconds")
            time.sleep(POLL_INTERVAL)

    def result(self, timeout: float | None = None) -> Any:
        """Rank 0's return value, once the job has succeeded (waits for it to end).

        Raises ``JobFailed`` with the job's error when it failed or was cancelled.
        """
        status = self.wait(timeout)
        if status != "succeeded":
            detail = self.error or "no error was recorded"
            raise JobFailed(f"job {self.name} ({self.id}) {status}: {detail}")
        if self._record["kind"] != "function":
            return None
        import cloudpickle

        with self.service.result_file(self.id).open("rb") as f:
            return cloudpickle.load(f)

    def cancel(self) -> str:
        """Stop the job and every process it started; its status afterwards."""
        self._record = self.service.cancel(self.id)
        status: str = self._record["status"]
        return status

    # -- logs ----------------------------------------------------------------

    @overload
    def logs(self, follow: Literal[False] = False, rank: int | None = None) -> str: ...

    @overload
    def logs(self, follow: Literal[True], rank: int | None = None) -> None: ...

    def logs(self, follow: bool = False, rank: int | None = None) -> str | None:
        """What the ranks printed: one rank's log, or every rank's with ``[rank n]``
        before each line. ``follow=True`` prints it as it comes until the job ends."""
        if follow:
            for _, text in self.stream(rank):
                print(text, end="", flush=True)
            return None
        return "".join(text for _, text in self.stream(rank, follow=False))

    def stream(
        self,
        rank: int | None = None,
        follow: bool = True,
        stop: threading.Event | None = None,
    ) -> Iterator[tuple[int, str]]:
        """``(rank, text)`` chunks of whole lines as the ranks print them; with
        ``follow`` until the job has ended and everything was read (or ``stop`` is set)."""
        ranks = [rank] if rank is not None else list(range(self.nproc))
        prefix = rank is None and self.nproc > 1
        offsets = dict.fromkeys(ranks, 0)
        partial = dict.fromkeys(ranks, "")
        while True:
            finished = True
            for r in ranks:
                text, done = partial[r], False
                while True:  # catch up on everything written so far
                    chunk = self.service.read_log(self.id, r, offsets[r])
                    offsets[r], done = chunk["next_offset"], chunk["done"]
                    text += chunk["text"]
                    if offsets[r] >= chunk["size"]:
                        break
                finished = finished and done
                complete, _, partial[r] = text.rpartition("\n")
                if done or not follow:
                    complete, partial[r] = text, ""
                elif complete:
                    complete += "\n"
                if complete:
                    yield r, _prefixed(complete, r) if prefix else complete
            if not follow or finished or (stop is not None and stop.is_set()):
                return
            time.sleep(POLL_INTERVAL)

    def widget(self, total_steps: int | None = None) -> Any:
        """Show the job's status, progress and logs in the cell, kept current."""
        from jupyter_dl_kernel.job_widget import JobWidget

        view = JobWidget(self, total_steps=total_steps)
        view.show()
        return view


def train(
    fn: Callable[..., Any] | str | os.PathLike[str],
    nproc: int | str = "auto",
    gpus: int | None = None,
    backend: str = "local",
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    name: str | None = None,
    max_restarts: int = 0,
    project: str | None = None,
    options: Mapping[str, Any] | None = None,
    service: TrainingService | None = None,
) -> Job:
    """Run ``fn(*args, **kwargs)`` as a distributed job; returns the :class:`Job` at once.

    - ``fn`` travels with cloudpickle: functions and classes defined in the notebook
      go by value, anything importable by name. It may also be the path of a script
      (``.py``, run with ``args`` as its command line) or of a notebook (``.ipynb``).
    - ``nproc``: processes (ranks); ``"auto"`` is one per GPU, or one without GPUs.
    - ``gpus``: how many of the server's GPUs the job gets (``None``: one per process
      when the server has GPUs, else none; ``0``: CPU only).
    - ``backend``: ``"local"`` (torch elastic on this machine) or ``"dask"`` (a rank per worker).
      ``"kubernetes"``: pods of a cluster (a PyTorchJob or an indexed Job; see the guide).
    - ``max_restarts``: how often all ranks are restarted after one fails; with
      ``dl.distributed.save_checkpoint``/``load_checkpoint`` the job resumes.
    - ``project``: the project of the job's run (default ``$JUPYTER_DL_PROJECT``,
      else the notebook's or script's name, else ``jobs``).
    - ``options``: settings of the backend (see the training guide for each one's).

    Inside ``fn``, ``dl.distributed`` says which rank this is and wraps the model;
    ``dl.log`` on rank 0 records into the job's run (``job.run``).
    """
    from ..api import training_service

    service = service or training_service()
    common: dict[str, Any] = {
        "name": name,
        "nproc": nproc,
        "gpus": gpus,
        "backend": backend,
        "max_restarts": max_restarts,
        "options": dict(options or {}),
        "owner": current_user(),
        "pythonpath": _user_paths(),
        "workdir": Path.cwd(),
    }
    if isinstance(fn, (str, os.PathLike)):
        script = Path(fn).absolute()
        kind = "notebook" if script.suffix == ".ipynb" else "script"
        if kwargs:
            raise ValueError("a script or notebook job takes args (its command line), not kwargs")
        request = JobRequest(
            kind=kind,
            script=script,
            args=[str(a) for a in args],
            project=project or _project(script),
            **common,
        )
    elif callable(fn):
        request = JobRequest(
            kind="function",
            payload=_ship(fn, tuple(args), dict(kwargs or {})),
            command=[_describe(fn)],
            argv=list(sys.argv),
            project=project or _project(None),
            **{**common, "name": name if name is not None else _name(fn)},
        )
    else:
        raise TypeError(f"dl.train needs a function or a script path, not {type(fn).__name__}")
    try:
        return Job(service, service.launch(request))
    except BadRequest as e:
        raise ValueError(e.message) from None


def job(job_id: str, service: TrainingService | None = None) -> Job:
    """A job launched earlier (from this kernel or any other), by its id."""
    from ..api import training_service

    service = service or training_service()
    return Job(service, service.get_job(job_id))


def jobs(status: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest jobs (``status``: one status, or ``active`` for queued and running)."""
    from ..api import training_service

    try:
        return training_service().list_jobs(status=status, limit=limit).items
    except BadRequest as e:
        raise ValueError(e.message) from None


def _ship(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    from .pickling import dumps

    try:
        payload: bytes = dumps((fn, args, kwargs))
    except Exception as e:
        raise TypeError(
            f"cannot send {_describe(fn)} and its arguments to the job's processes: {e}."
            " Create what cannot be pickled (open files, locks, connections) inside the function."
        ) from None
    return payload


def _describe(fn: Callable[..., Any]) -> str:
    """What the job runs, for people: ``module.function``, or a callable object's repr."""
    if not hasattr(fn, "__qualname__"):
        return repr(fn)
    return f"{getattr(fn, '__module__', None) or '?'}.{fn.__qualname__}"


def _name(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__name__", None) or type(fn).__name__)


def _project(script: Path | None) -> str:
    from ..api import PROJECT_ENV
    from ..tracking.capture import notebook_path

    if os.environ.get(PROJECT_ENV):
        return os.environ[PROJECT_ENV]
    source = script or notebook_path()
    return Path(source).stem if source else "jobs"


def _user_paths() -> list[str]:
    """Folders on this process's path that a fresh interpreter would not have (the
    notebook's folder, ``sys.path.append(...)``): the ranks need them to import what
    the function refers to by name."""
    installed = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    paths = []
    for entry in sys.path:
        path = Path(entry or os.getcwd()).resolve()
        if path.is_dir() and not any(path.is_relative_to(root) for root in installed):
            paths.append(str(path))
    return list(dict.fromkeys(paths))


def _prefixed(text: str, rank: int) -> str:
    return "".join(f"[rank {rank}] {line}" for line in text.splitlines(keepends=True))
