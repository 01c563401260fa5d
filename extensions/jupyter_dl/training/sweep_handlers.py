"""REST routes of hyperparameter sweeps: thin wrappers over ``SweepService``.

Sweeps are started from a kernel (``dl.sweep``); the server lists them, shows
one with its trials, and cancels one. The contract, which the Training panel
relies on (``openapi.yaml`` has the schemas):

- ``GET /dl/api/sweeps?limit=&cursor=`` → ``{"items": [Sweep], "next_cursor": str|null}``,
  newest first.
- ``GET /dl/api/sweeps/{sweep_id}`` → the ``Sweep`` plus ``"trials": [Trial]``.
- ``POST /dl/api/sweeps/{sweep_id}/cancel`` → the ``Sweep`` plus its trials, once the
  process running it has stopped it (or after 10 s, still ``running`` while its
  trials stop); a sweep that has ended is returned as it is.

``Sweep``: ``{id, name, project, owner, metric, mode ("min"|"max"), pruner (str|null),
sampler (str), backend ("local"|"dask"), parallel, space (object: name → {"type":
"uniform"|"loguniform"|"intrange"|"choice"|"fixed", ...}), trials_requested (int),
counts: {running, complete, pruned, failed}, best: {number, value, params, run_id}|null,
status ("running"|"finished"|"failed"|"cancelled"), error (str|null), created_at,
ended_at}``; times are ISO 8601 in UTC.

``Trial``: ``{number, state ("running"|"complete"|"pruned"|"failed"), value
(number|null), params (object), run_id (str|null), started_at, ended_at, duration
(seconds|null), intermediate: [[step, value], ...], error (str|null: why it failed,
with the traceback)}``. A value that is NaN or infinite is sent as the string
``"NaN"``, ``"Infinity"`` or ``"-Infinity"``, as metrics are.
"""

from __future__ import annotations

from tornado import web

from ..web import PlatformHandler, api_path
from .sweeps import SweepService

SWEEP_ID = r"(?P<sweep_id>[a-z0-9]{6,32})"


class SweepHandler(PlatformHandler):
    guards = {"sweep_id": "sweep"}

    @property
    def sweeps(self) -> SweepService:
        service: SweepService = self.settings["dl_sweeps"]
        return service


class SweepsHandler(SweepHandler):
    @web.authenticated
    async def get(self) -> None:
        page = await self.call(
            self.sweeps.list_sweeps,
            self.int_argument("limit", 50),
            self.get_query_argument("cursor", None) or None,
            self.access,
        )
        self.finish(page.to_json())


class OneSweepHandler(SweepHandler):
    @web.authenticated
    async def get(self, sweep_id: str) -> None:
        self.finish(await self.call(self.sweeps.get_sweep, sweep_id))


class CancelSweepHandler(SweepHandler):
    @web.authenticated
    async def post(self, sweep_id: str) -> None:
        self.finish(await self.call(self.sweeps.cancel, sweep_id))


default_handlers = [
    (api_path("sweeps"), SweepsHandler),
    (api_path("sweeps", SWEEP_ID), OneSweepHandler),
    (api_path("sweeps", SWEEP_ID, "cancel"), CancelSweepHandler),
]
