"""What the hub's services ask the hub: users with their groups, admin flag and
servers, and stopping a server, through JupyterHub's REST API with the service's
own token. The quota service and the team's platform service both use it.

The hub is the authority on who is in which group and which servers run; the
service keeps no copy beyond a short cache, so a group change applies at the
next check.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

PAGE = 200
PAGINATION = "application/jupyterhub-pagination+json"


class HubUnavailable(RuntimeError):
    """The hub's API did not answer as expected; the message says what was asked."""


@dataclass(frozen=True)
class HubUser:
    """A user as the hub knows them: groups, admin, and servers running or starting."""

    name: str
    groups: tuple[str, ...] = ()
    servers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    admin: bool = False


class HubClient:
    """JupyterHub's REST API (``$JUPYTERHUB_API_URL``) with the service's token."""

    def __init__(self, api_url: str, token: str, cache_seconds: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/") + "/"
        self.token = token
        self.cache_seconds = cache_seconds
        self._users: tuple[float, dict[str, HubUser]] | None = None

    async def _request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None, **extra: Any
    ) -> Any:
        url = self.api_url + path + (f"?{urlencode(params)}" if params else "")
        request = HTTPRequest(
            url,
            method=method,
            headers={"Authorization": f"token {self.token}", **extra.pop("headers", {})},
            request_timeout=30,
            allow_nonstandard_methods=True,
            **extra,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            if error.code == 404:
                return None
            raise HubUnavailable(f"{method} {path} failed: {error}") from None
        except OSError as error:
            raise HubUnavailable(f"{method} {path}: the hub cannot be reached ({error})") from None
        return json.loads(response.body) if response.body else None

    async def users(self, state: str | None = None, *, fresh: bool = False) -> dict[str, HubUser]:
        """Every user with groups and servers (``state="active"``: only those with a
        server running or starting). All users are cached for ``cache_seconds``."""
        if state is None and not fresh and self._users is not None:
            fetched_at, cached = self._users
            if time.monotonic() - fetched_at < self.cache_seconds:
                return cached
        found: dict[str, HubUser] = {}
        offset = 0
        while True:
            params: dict[str, Any] = {"offset": offset, "limit": PAGE}
            if state:
                params["state"] = state
            page = await self._request("GET", "users", params, headers={"Accept": PAGINATION})
            items = page["items"] if isinstance(page, dict) else (page or [])
            for model in items:
                found[model["name"]] = _user(model)
            next_page = (
                (page.get("_pagination") or {}).get("next") if isinstance(page, dict) else None
            )
            if not next_page or not items:
                break
            offset = int(next_page["offset"])
        if state is None:
            self._users = (time.monotonic(), found)
        return found

    async def user(self, name: str) -> HubUser | None:
        model = await self._request("GET", f"users/{quote(name, safe='')}")
        return _user(model) if model else None

    async def stop_server(self, user: str, server: str) -> None:
        """Ask the hub to stop ``user``'s ``server`` ('' is the default server)."""
        path = f"users/{quote(user, safe='')}/" + (
            f"servers/{quote(server, safe='')}" if server else "server"
        )
        await self._request("DELETE", path)


def _user(model: Mapping[str, Any]) -> HubUser:
    return HubUser(
        name=model["name"],
        groups=tuple(sorted(model.get("groups") or ())),
        admin=bool(model.get("admin")),
        servers=dict(model.get("servers") or {}),
    )
