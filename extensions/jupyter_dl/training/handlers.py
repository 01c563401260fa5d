"""REST routes of training jobs: thin wrappers over ``TrainingService``.

The Training panel launches scripts and notebooks inside the server's root
folder (a function only travels from a kernel, with ``dl.train``); every call
runs on a worker thread, so launching or cancelling never stalls the server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tornado import web

from ..errors import BadRequest
from ..web import PlatformHandler, api_path
from .launchers import backends
from .service import MAX_LOG_CHUNK, JobRequest, TrainingService, file_in_root

JOB_ID = r"(?P<job_id>[a-z0-9]{6,32})"
NEW_JOB_FIELDS = {
    "script",
    "notebook",
    "args",
    "nproc",
    "gpus",
    "backend",
    "name",
    "max_restarts",
    "project",
    "options",
}


class TrainingHandler(PlatformHandler):
    guards = {"job_id": "job"}

    @property
    def training(self) -> TrainingService:
        service: TrainingService = self.settings["dl_training"]
        return service


class JobsHandler(TrainingHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.training.list_jobs,
            self.get_query_argument("status", None) or None,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
            self.access,
        )
        self.finish(page.to_json())

    @web.authenticated
    async def post(self) -> None:
        request = self.new_job(self.get_json_body())
        job = await self.call(self.training.launch, request)
        self.set_status(201)
        self.finish(job)

    def new_job(self, body: Any) -> JobRequest:
        """The launch form's body as a request: a script or a notebook under the root."""
        if not isinstance(body, dict):
            raise BadRequest('send {"script": "train.py", "nproc": 2, ...} or {"notebook": ...}')
        unknown = set(body) - NEW_JOB_FIELDS
        if unknown:
            raise BadRequest(f"unknown fields {', '.join(sorted(unknown))}")
        kinds = [k for k in ("script", "notebook") if k in body]
        if len(kinds) != 1:
            raise BadRequest('name exactly one "script" or "notebook" to run')
        kind = kinds[0]
        args = body.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise BadRequest("args must be a list of strings")
        root = Path(self.settings.get("server_root_dir") or os.getcwd())
        path = file_in_root(root, body[kind], kind)
        user = self.user_name
        return JobRequest(
            kind=kind,
            script=path,
            args=args,
            name=body.get("name"),
            nproc=body.get("nproc", "auto"),
            gpus=body.get("gpus"),
            backend=body.get("backend", "local"),
            max_restarts=body.get("max_restarts", 0),
            options=body.get("options") or {},
            project=body.get("project") or path.stem,
            owner=user,
            workdir=path.parent,
            command=[body[kind], *args],
        )


class BackendsHandler(TrainingHandler):
    @web.authenticated
    def get(self) -> None:
        self.finish({"backends": backends()})


class JobHandler(TrainingHandler):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        self.finish(await self.call(self.training.get_job, job_id))


class CancelHandler(TrainingHandler):
    @web.authenticated
    async def post(self, job_id: str) -> None:
        self.finish(await self.call(self.training.cancel, job_id))


class LogsHandler(TrainingHandler):
    @web.authenticated
    async def get(self, job_id: str) -> None:
        chunk = await self.call(
            self.training.read_log,
            job_id,
            self.int_argument("rank", 0),
            self.int_argument("offset", 0),
            self.int_argument("limit", MAX_LOG_CHUNK),
        )
        self.finish(chunk)


default_handlers = [
    (api_path("jobs"), JobsHandler),
    (api_path("jobs", "backends"), BackendsHandler),  # before the job id, which it matches
    (api_path("jobs", JOB_ID), JobHandler),
    (api_path("jobs", JOB_ID, "cancel"), CancelHandler),
    (api_path("jobs", JOB_ID, "logs"), LogsHandler),
]
