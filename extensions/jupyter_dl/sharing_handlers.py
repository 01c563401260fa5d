"""``GET|PUT /dl/api/{projects,datasets,models}/<name>/sharing``: who holds a record,
and sharing it with a group. One handler for the three kinds, since the rule
(``permissions.PermissionService.share``) is the same for each."""

from __future__ import annotations

from typing import Any

from tornado import web

from .web import PlatformHandler, api_path

#: A record's name in the route: anything but a slash (each kind checks its own).
NAME = r"(?P<name>[^/]+)"


class SharingHandler(PlatformHandler):
    """Who holds the record; the owner (or an admin) shares it, or makes it private."""

    def initialize(self, kind: str, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(**kwargs)  # the extension's name, as for every handler
        self.kind = kind

    @web.authenticated
    async def get(self, name: str) -> None:
        self.finish(await self.call(self.permissions.sharing, self.access, self.kind, name))

    @web.authenticated
    async def put(self, name: str) -> None:
        body = self.get_json_body()
        self.finish(await self.call(self.permissions.share, self.access, self.kind, name, body))


default_handlers = [
    (api_path(route, NAME, "sharing"), SharingHandler, {"kind": kind})
    for route, kind in (("projects", "project"), ("datasets", "dataset"), ("models", "model"))
]
