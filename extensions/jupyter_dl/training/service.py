"""Training jobs: launch, status, logs, cancel, over the platform store.

Everything the Training panel, the REST API, ``dl.train`` and the ``%dl_train``
magics do goes through :class:`TrainingService`. A job is a row in the store
(what was asked, on which backend, how it ended) and a folder under the jobs
directory (the shipped function, one log per rank, the result, checkpoints;
see ``files.py``). Each job gets a tracked run, so what rank 0 logs with
``dl.log`` lands in the Experiments panel beside the job.

The backend's supervisor records how the job ended, whoever launched it: a job
outlives the kernel that started it. A job whose supervisor vanished without a
word is marked failed the next time jobs are listed (``reap_lost``).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..access import Access, where_visible
from ..errors import BadRequest, Conflict, LaunchFailed, NotFound
from ..gpus import Gpu, probe
from ..pages import Page, iso_time, next_cursor, page_window
from ..processes import process_alive
from ..store import Store
from ..tracking.service import TrackingService
from .files import CHECKPOINTS_ENV, JOB_DIR_ENV, JOB_ID_ENV, RUN_ID_ENV, JobFiles
from .launchers import Launcher, check_backend, launcher

STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
FINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})
KINDS = ("function", "script", "notebook")
#: How a job's run ends when the job does.
RUN_STATUS = {"succeeded": "finished", "failed": "failed", "cancelled": "killed"}
#: The largest log chunk one read returns; followers ask again from ``next_offset``.
MAX_LOG_CHUNK = 1 << 20
MAX_NAME = 256
DEFAULT_PROJECT = "jobs"
#: Environment of the launching process that must not leak into a job's ranks:
#: torch elastic sets these itself for every rank.
_ELASTIC_ENV = re.compile(
    r"^(RANK|LOCAL_RANK|GROUP_RANK|ROLE_RANK|WORLD_SIZE|LOCAL_WORLD_SIZE|ROLE_WORLD_SIZE"
    r"|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_\w+|TORCH_NCCL_ASYNC_ERROR_HANDLING)$"
)


@dataclass
class JobRequest:
    """What a user asks to run; checked by ``TrainingService.plan`` before anything starts.

    ``payload`` is a function job's ``(fn, args, kwargs)`` cloudpickled; ``script``
    a script's or notebook's path; ``argv`` what a function sees as ``sys.argv``;
    ``pythonpath`` folders the ranks need on their path to import what the function
    refers to by name.
    """

    kind: str
    name: str | None = None
    nproc: int | str = "auto"
    gpus: int | None = None
    backend: str = "local"
    max_restarts: int = 0
    payload: bytes | None = None
    script: Path | None = None
    args: Sequence[str] = ()
    workdir: Path | None = None
    project: str | None = None
    owner: str | None = None
    command: Sequence[str] = ()
    argv: Sequence[str] = ()
    pythonpath: Sequence[str] = ()
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """A request after its checks: every number settled, the GPUs chosen."""

    request: JobRequest
    name: str
    nproc: int
    gpus: int
    devices: list[str]
    workdir: Path
    command: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


class TrainingService:
    """Training jobs in one store; their files under ``jobs_dir``.

    ``tracking`` creates and ends each job's run; ``heartbeat_timeout`` is how long
    a job's supervisor may stay silent before the job counts as lost.
    """

    def __init__(
        self,
        store: Store,
        jobs_dir: Path,
        tracking: TrackingService,
        heartbeat_timeout: float = 120.0,
    ) -> None:
        self.store = store
        self.jobs_dir = Path(jobs_dir)
        self.tracking = tracking
        self.heartbeat_timeout = heartbeat_timeout
        self.host = socket.gethostname()

    def files(self, job_id: str) -> JobFiles:
        return JobFiles(self.jobs_dir / job_id)

    # ------------------------------------------------------------------ launch

    def plan(self, request: JobRequest) -> Plan:
        """Check a request (backend, processes, GPUs, name, file) without starting anything."""
        backend = launcher(check_backend(request.backend))
        if not isinstance(request.options, Mapping):
            raise BadRequest("options must be a mapping of the backend's settings")
        options = backend.check_options(dict(request.options))
        if request.kind not in KINDS:
            raise BadRequest(f"kind must be one of {', '.join(KINDS)}")
        max_restarts = request.max_restarts
        if type(max_restarts) is not int or max_restarts < 0:
            raise BadRequest(f"max_restarts must be a whole number >= 0, not {max_restarts!r}")
        nproc, gpus, devices = self._resources(request.nproc, request.gpus, backend, options)
        if request.kind == "function":
            if not request.payload:
                raise BadRequest("a function job needs the function to run")
            command = list(request.command)
        else:
            script = request.script
            if script is None or not script.is_file():
                raise BadRequest(f"no {request.kind} at {script}")
            wanted = ".ipynb" if request.kind == "notebook" else ".py"
            if script.suffix != wanted:
                raise BadRequest(f"a {request.kind} job runs a {wanted} file, not {script.name}")
            if not all(isinstance(a, str) for a in request.args):
                raise BadRequest("args must be a list of strings")
            command = list(request.command) or [str(script), *request.args]
        default_name = Path(command[0]).stem if command else request.kind
        name = _check_name(request.name if request.name is not None else default_name)
        workdir = Path(request.workdir or Path.cwd())
        if not workdir.is_dir():
            raise BadRequest(f"the working folder {workdir} does not exist")
        plan = Plan(request, name, nproc, gpus, devices, workdir, command, options)
        check_plan = getattr(backend, "check_plan", None)
        if check_plan is not None:  # what only the backend can judge, e.g. its manifests
            check_plan(plan, self.jobs_dir)
        return plan

    def launch(self, request: JobRequest) -> dict[str, Any]:
        """Check, record and start a job; returns it (usually still ``queued``)."""
        plan = self.plan(request)
        req = plan.request
        job_id = secrets.token_hex(6)
        files = self.files(job_id)
        files.root.mkdir(parents=True)
        try:
            if req.payload is not None and req.kind == "function":
                files.payload.write_bytes(req.payload)
            files.write_json(files.spec, _spec(job_id, plan))
            run = self.tracking.create_run(
                req.project or DEFAULT_PROJECT,
                name=plan.name,
                system={
                    "host": self.host,
                    "job": {"id": job_id, "backend": req.backend, "nproc": plan.nproc},
                },
                owner=req.owner,
                run_id=job_id,
            )
        except BaseException:
            shutil.rmtree(files.root, ignore_errors=True)
            raise
        now = time.time()
        from ..store.models import Job

        with self.store.session(write=True) as s:
            s.add(
                Job(
                    id=job_id,
                    name=plan.name,
                    kind=req.kind,
                    backend=req.backend,
                    status="queued",
                    nproc=plan.nproc,
                    gpus=plan.gpus,
                    devices=plan.devices,
                    command=plan.command,
                    workdir=str(plan.workdir),
                    max_restarts=req.max_restarts,
                    restarts=0,
                    exit_codes=[],
                    run_id=run["id"],
                    owner=req.owner,
                    host=self.host,
                    created_at=now,
                    heartbeat_at=now,
                )
            )
        try:
            pid, started = launcher(req.backend).start(files, plan.workdir, self._env(plan, files))
        except OSError as e:
            reason = f"the {req.backend} backend did not start job {job_id}: {e}"
            self.finish(job_id, "failed", error=reason)
            raise LaunchFailed(reason) from e
        with self.store.session(write=True) as s:
            job = self._job(s, job_id)
            if job.pid is None:  # the supervisor may have recorded itself already
                job.pid, job.pid_started_at = pid, started
            return _job_json(job)

    def _resources(
        self, nproc: Any, gpus: Any, backend: Launcher, options: dict[str, Any]
    ) -> tuple[int, int, list[str]]:
        """(processes, GPUs, CUDA devices) of a request: one process per GPU when there are
        GPUs; ``nproc="auto"`` is one per GPU, or one process on a CPU-only server.

        A backend whose ranks run on machines of its own (a cluster) settles the numbers
        itself with ``resources(nproc, gpus, options)``: this server's GPUs do not count.
        """
        if nproc != "auto" and (type(nproc) is not int or nproc <= 0):
            raise BadRequest(f"nproc must be a number of processes >= 1 or 'auto', not {nproc!r}")
        if gpus is not None and (type(gpus) is not int or gpus < 0):
            raise BadRequest(f"gpus must be a number of GPUs >= 0 or None, not {gpus!r}")
        on_cluster = getattr(backend, "resources", None)
        if on_cluster is not None:
            count, wanted = on_cluster(nproc, gpus, options)
            return int(count), int(wanted), []
        visible = probe().gpus if gpus != 0 else []
        if gpus is not None and gpus > len(visible):
            seen = ", ".join(f"{g.index}: {g.name}" for g in visible) or "none"
            raise BadRequest(
                f"gpus={gpus} but this server sees {len(visible)} GPU(s) ({seen}); ask for at"
                f" most {len(visible)}, or gpus=0 to train on CPU"
            )
        if gpus is None:
            gpus = (len(visible) if nproc == "auto" else nproc) if visible else 0
        count = (gpus or 1) if nproc == "auto" else int(nproc)
        if gpus and count > gpus:
            raise BadRequest(
                f"nproc={count} with {gpus} GPU(s): each process needs a GPU of its own;"
                f" use nproc <= {gpus}, or gpus=0 to run {count} CPU processes"
            )
        if gpus and len(visible) < gpus:
            raise BadRequest(
                f"nproc={count} needs {gpus} GPUs but this server sees {len(visible)}; use"
                f" nproc <= {len(visible)}, or gpus=0 to run {count} CPU processes"
            )
        return count, gpus, assign_devices(visible, self._busy_devices(), gpus)

    def _busy_devices(self) -> set[str]:
        from sqlalchemy import select

        from ..store.models import Job

        with self.store.session() as s:
            rows = s.scalars(
                select(Job.devices).where(
                    Job.status.in_(("queued", "running")), Job.host == self.host
                )
            ).all()
        return {d for devices in rows for d in devices}

    def _env(self, plan: Plan, files: JobFiles) -> dict[str, str]:
        """The environment of the supervisor, which every rank inherits."""
        from ..paths import ARTIFACTS_ENV, DB_URL_ENV, JOBS_ENV

        env = {k: v for k, v in os.environ.items() if not _ELASTIC_ENV.match(k)}
        paths = [*plan.request.pythonpath, *filter(None, [env.get("PYTHONPATH")])]
        env.update(
            {
                DB_URL_ENV: self.store.url,
                ARTIFACTS_ENV: str(self.tracking.artifacts_dir),
                JOBS_ENV: str(self.jobs_dir),
                JOB_ID_ENV: files.root.name,
                JOB_DIR_ENV: str(files.root),
                RUN_ID_ENV: files.root.name,
                CHECKPOINTS_ENV: str(files.checkpoints),
                # A CPU job sees no GPU at all; a GPU job exactly the ones it was given.
                "CUDA_VISIBLE_DEVICES": ",".join(plan.devices),
                "PYTHONUNBUFFERED": "1",
            }
        )
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        return env

    # ------------------------------------------------------------------- read

    def get_job(self, job_id: str) -> dict[str, Any]:
        self.reap_lost()
        with self.store.session() as s:
            return _job_json(self._job(s, job_id))

    def list_jobs(
        self,
        status: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """Jobs, newest first; ``status`` keeps one status (or ``active``: queued or
        running), ``visible`` that user's jobs."""
        from sqlalchemy import select

        from ..store.models import Job

        self.reap_lost()
        limit, offset = page_window(limit, cursor)
        stmt = (
            select(Job)
            .where(*where_visible(visible, Job))
            .order_by(Job.created_at.desc(), Job.id.desc())
        )
        if status == "active":
            stmt = stmt.where(Job.status.in_(("queued", "running")))
        elif status:
            if status not in STATUSES:
                raise BadRequest(f"status must be active or one of {', '.join(STATUSES)}")
            stmt = stmt.where(Job.status == status)
        with self.store.session() as s:
            rows = s.scalars(stmt.offset(offset).limit(limit + 1)).all()
            items = [_job_json(j) for j in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def active_here(self) -> list[dict[str, Any]]:
        """Jobs queued or running on this host, oldest first, once lost ones are ended.

        A job counts for the host its supervisor runs on, whatever the backend: that
        supervisor is what must outlive the kernel, and what stopping this server's
        machine (a culled pod) would take with it.
        """
        from sqlalchemy import select

        from ..store.models import Job

        self.reap_lost()
        stmt = (
            select(Job)
            .where(Job.status.in_(("queued", "running")), Job.host == self.host)
            .order_by(Job.created_at, Job.id)
        )
        with self.store.session() as s:
            return [_job_json(j) for j in s.scalars(stmt).all()]

    def read_log(
        self, job_id: str, rank: int = 0, offset: int = 0, limit: int = MAX_LOG_CHUNK
    ) -> dict[str, Any]:
        """Up to ``limit`` bytes of rank ``rank``'s log from byte ``offset``.

        Follow a log by asking again from ``next_offset`` until ``done`` (the job has
        ended and everything was read). A chunk never ends inside a UTF-8 character.
        """
        job = self.get_job(job_id)
        if type(rank) is not int or not 0 <= rank < job["nproc"]:
            raise BadRequest(f"rank must be between 0 and {job['nproc'] - 1} for job {job_id}")
        if type(offset) is not int or offset < 0:
            raise BadRequest("offset must be a byte offset >= 0")
        if type(limit) is not int or not 1 <= limit <= MAX_LOG_CHUNK:
            raise BadRequest(f"limit must be between 1 and {MAX_LOG_CHUNK} bytes")
        path = self.files(job_id).log(rank)
        data = b""
        size = 0
        try:
            with path.open("rb") as f:
                size = os.fstat(f.fileno()).st_size
                if offset > size:
                    raise BadRequest(
                        f"offset {offset} is past the end of rank {rank}'s log ({size} bytes)"
                    )
                f.seek(offset)
                data = f.read(min(limit, size - offset))
        except FileNotFoundError:
            if offset:
                raise BadRequest(f"rank {rank} of job {job_id} has no log yet") from None
        data = data[: _complete_utf8(data)]
        end = offset + len(data)
        return {
            "job": job_id,
            "rank": rank,
            "offset": offset,
            "next_offset": end,
            "size": size,
            "text": data.decode("utf-8", "replace"),
            "done": job["status"] in FINAL_STATUSES and end >= size,
        }

    def result_file(self, job_id: str) -> Path:
        """The file holding rank 0's return value of a succeeded function job."""
        job = self.get_job(job_id)
        files = self.files(job_id)
        if job["kind"] != "function":
            raise Conflict(f"job {job_id} runs a {job['kind']}; only function jobs return a value")
        if job["status"] != "succeeded":
            raise Conflict(f"job {job_id} is {job['status']}; it has no result")
        if not files.result.is_file():
            reason = (
                files.result_error.read_text()
                if files.result_error.is_file()
                else f"{files.result} is missing"
            )
            raise NotFound(f"job {job_id} succeeded but its result was not kept: {reason}")
        return files.result

    # ------------------------------------------------------------------ cancel

    def cancel(self, job_id: str, grace: float = 20.0) -> dict[str, Any]:
        """Stop a job and every process it started; returns the job, now ``cancelled``.

        A job that has already ended is returned as it is.
        """
        job = self.get_job(job_id)
        if job["status"] in FINAL_STATUSES:
            return job
        if job["host"] != self.host:
            raise Conflict(
                f"job {job_id} runs on {job['host']}; cancel it from a server on that host"
            )
        files = self.files(job_id)
        files.cancel.touch()
        left = launcher(job["backend"]).stop(self.get_job_unchecked(job_id), files, grace)
        error = f"processes {left} could not be stopped" if left else None
        # The supervisor records the cancellation as it stops; this covers one that
        # was killed, or had not started yet.
        return self.finish(job_id, "cancelled", error=error)

    # ------------------------------------------- bookkeeping (by the supervisor)

    def mark_running(self, job_id: str, pid: int, pid_started_at: float) -> bool:
        """The supervisor has started; False when the job was cancelled before that."""
        with self.store.session(write=True) as s:
            job = self._job(s, job_id)
            if job.status != "queued":
                return False
            job.status = "running"
            job.started_at = job.heartbeat_at = time.time()
            job.pid, job.pid_started_at = pid, pid_started_at
        return True

    def heartbeat(self, job_id: str, restarts: int) -> None:
        """The supervisor is alive; ``restarts`` is how often the ranks were restarted."""
        with self.store.session(write=True) as s:
            job = self._job(s, job_id)
            if job.status not in FINAL_STATUSES:
                job.heartbeat_at = time.time()
                job.restarts = max(job.restarts, restarts)
        run_id = job.run_id
        if run_id:
            with contextlib.suppress(NotFound):  # the run was deleted; the job goes on
                self.tracking.heartbeat(run_id)

    def finish(
        self,
        job_id: str,
        status: str,
        exit_codes: Sequence[int | None] | None = None,
        error: str | None = None,
        restarts: int | None = None,
    ) -> dict[str, Any]:
        """Record how a job ended and end its run; the first outcome recorded stays."""
        if status not in FINAL_STATUSES:
            raise BadRequest(f"a job ends as one of {', '.join(sorted(FINAL_STATUSES))}")
        with self.store.session(write=True) as s:
            job = self._job(s, job_id)
            if job.status in FINAL_STATUSES:
                return _job_json(job)
            job.status = status
            job.ended_at = time.time()
            job.error = error
            if exit_codes is not None:
                job.exit_codes = list(exit_codes)
            if restarts is not None:
                job.restarts = max(job.restarts, restarts)
            body = _job_json(job)
        if body["run_id"]:
            code = next((c for c in body["exit_codes"] if c), 0 if status == "succeeded" else 1)
            # A run already ended or deleted by someone else keeps that choice.
            with contextlib.suppress(Conflict, NotFound):
                self.tracking.finish_run(body["run_id"], RUN_STATUS[status], code)
        return body

    def reap_lost(self) -> int:
        """End jobs whose supervisor is gone without recording an outcome.

        On this host a dead supervisor is seen at once; elsewhere after
        ``heartbeat_timeout`` seconds of silence. An outcome the supervisor wrote to
        its folder but not to the store is recorded as it was.
        """
        from sqlalchemy import select

        from ..store.models import Job

        now = time.time()
        with self.store.session() as s:
            active = s.scalars(select(Job).where(Job.status.in_(("queued", "running")))).all()
            lost = [(j.id, j.pid, j.backend) for j in active if self._is_lost(j, now)]
        for job_id, pid, backend in lost:
            files = self.files(job_id)
            outcome = files.read_json(files.outcome)
            if isinstance(outcome, dict) and outcome.get("status") in FINAL_STATUSES:
                self.finish(
                    job_id,
                    outcome["status"],
                    outcome.get("exit_codes"),
                    outcome.get("error"),
                    outcome.get("restarts"),
                )
                continue
            job = self.get_job_unchecked(job_id)
            if job["host"] == self.host:
                launcher(backend).stop(job, files, grace=5.0)
            who = f"its supervisor (pid {pid})" if pid else "its supervisor"
            self.finish(
                job_id,
                "failed",
                error=f"{who} stopped without recording how the job ended; see"
                f" {files.supervisor_log}",
            )
        return len(lost)

    def get_job_unchecked(self, job_id: str) -> dict[str, Any]:
        """The job as stored, with its supervisor's start time, without looking for lost jobs."""
        with self.store.session() as s:
            job = self._job(s, job_id)
            return {**_job_json(job), "pid_started_at": job.pid_started_at}

    # --------------------------------------------------------------- internals

    def _job(self, s: Any, job_id: str) -> Any:
        from ..store.models import Job

        job = s.get(Job, job_id) if isinstance(job_id, str) else None
        if job is None:
            raise NotFound(f"no job with id {job_id!r}")
        return job

    def _is_lost(self, job: Any, now: float) -> bool:
        if job.heartbeat_at is not None and now - job.heartbeat_at > self.heartbeat_timeout:
            return True
        return (
            job.host == self.host
            and job.pid is not None
            and not process_alive(job.pid, job.pid_started_at or job.created_at)
        )


def file_in_root(root: Path, path: Any, what: str = "script") -> Path:
    """A file named relative to the server's root folder; never one outside it."""
    if not isinstance(path, str) or not path.strip():
        raise BadRequest(f"{what} must be a path relative to the server's root folder")
    if Path(path).is_absolute() or "\x00" in path:
        raise BadRequest(f"{what} {path!r} must be relative to the server's root folder")
    base = Path(root).resolve()
    target = (base / path).resolve()
    if base not in target.parents:
        raise BadRequest(f"{what} {path!r} leads outside the server's root folder {base}")
    return target


def assign_devices(visible: Sequence[Gpu], busy: set[str], count: int) -> list[str]:
    """The ``count`` GPUs a job gets, as CUDA device ids (UUIDs): GPUs no other running
    job uses first, in index order; shared ones only when there are not enough free."""
    ranked = sorted(visible, key=lambda g: (g.uuid in busy, g.index))
    return [g.uuid for g in ranked[:count]]


def _spec(job_id: str, plan: Plan) -> dict[str, Any]:
    req = plan.request
    return {
        "id": job_id,
        "kind": req.kind,
        "backend": req.backend,
        "options": plan.options,
        "name": plan.name,
        "nproc": plan.nproc,
        "gpus": plan.gpus,
        "owner": req.owner,
        "max_restarts": req.max_restarts,
        "devices": plan.devices,
        "script": str(req.script) if req.script else None,
        "args": list(req.args),
        "argv": list(req.argv) or [sys.argv[0] if sys.argv else ""],
        "workdir": str(plan.workdir),
    }


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        raise BadRequest(f"a job name must be a non-empty string of at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise BadRequest(f"the job name {name!r} contains control characters")
    return name.strip()


def _complete_utf8(data: bytes) -> int:
    """The length of ``data`` without a UTF-8 character cut at its end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return len(data)
        if byte >= 0xC0:  # the lead byte of the last character
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return len(data) if back >= need else len(data) - back
    return len(data)


def _job_json(job: Any) -> dict[str, Any]:
    end = job.ended_at if job.ended_at is not None else (time.time() if job.started_at else None)
    return {
        "id": job.id,
        "name": job.name,
        "kind": job.kind,
        "backend": job.backend,
        "status": job.status,
        "nproc": job.nproc,
        "gpus": job.gpus,
        "devices": list(job.devices),
        "command": list(job.command),
        "workdir": job.workdir,
        "max_restarts": job.max_restarts,
        "restarts": job.restarts,
        "exit_codes": list(job.exit_codes),
        "error": job.error,
        "run_id": job.run_id,
        "owner": job.owner,
        "host": job.host,
        "pid": job.pid,
        "created_at": iso_time(job.created_at),
        "started_at": iso_time(job.started_at),
        "ended_at": iso_time(job.ended_at),
        "duration": (end - job.started_at) if job.started_at and end else None,
    }
