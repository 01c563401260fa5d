"""A client of the quota service's REST API, for ``jupyter dl quota|usage`` and ``%dl_quota``.

Plain ``urllib``: it runs in kernels and terminals, where nothing else need be
installed. Where the service is and which token to use are found the way each
caller runs:

- in a user server or its kernels: ``$JUPYTER_DL_QUOTAS_URL`` (the spawner sets
  it) and ``$JUPYTERHUB_API_TOKEN`` (the server's token, which may read its
  user's own quota);
- elsewhere (an admin's shell): the hub's URL (``--hub-url``, else
  ``$JUPYTERHUB_URL``, else ``http://127.0.0.1:$JUPYTER_DL_HUB_PORT/``) plus
  ``services/jupyter-dl-quotas/``, and a token from ``--token``,
  ``$JUPYTER_DL_HUB_ADMIN_TOKEN`` or ``$JUPYTERHUB_API_TOKEN``.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from .settings import SERVICE_NAME, SERVICE_URL_ENV

TOKEN_ENVS = ("JUPYTER_DL_HUB_ADMIN_TOKEN", "JUPYTERHUB_API_TOKEN")


class QuotaClientError(RuntimeError):
    """The service refused or could not be reached; the message says what to do."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def service_url(hub_url: str | None = None) -> str:
    """The quota service's URL, ending in ``/`` (see the module docstring)."""
    if hub_url is None and os.environ.get(SERVICE_URL_ENV):
        return os.environ[SERVICE_URL_ENV].rstrip("/") + "/"
    hub = hub_url or os.environ.get("JUPYTERHUB_URL")
    if not hub:
        port = os.environ.get("JUPYTER_DL_HUB_PORT", "8000")
        hub = f"http://127.0.0.1:{port}/"
    return hub.rstrip("/") + f"/services/{SERVICE_NAME}/"


def find_token(token: str | None = None) -> str:
    found = token or next((os.environ[n] for n in TOKEN_ENVS if os.environ.get(n)), "")
    if not found:
        raise QuotaClientError(
            "No API token: pass --token, or set JUPYTER_DL_HUB_ADMIN_TOKEN (the embedded"
            " hub's admin token) or JUPYTERHUB_API_TOKEN (a token from the hub's Token page)."
        )
    return found


class QuotaClient:
    """The quota service's REST API (docs/admin/quotas.md lists the routes)."""

    def __init__(self, base_url: str, token: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.token = token
        self.timeout = timeout

    @classmethod
    def from_environment(cls, hub_url: str | None = None, token: str | None = None) -> QuotaClient:
        return cls(service_url(hub_url), find_token(token))

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        url = self.base_url + "api/" + path + (f"?{urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"token {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with _no_redirects().open(request, timeout=self.timeout) as response:
                text = response.read()
        except urllib.error.HTTPError as error:
            raise QuotaClientError(_error_message(error), error.code) from None
        except urllib.error.URLError as error:
            raise QuotaClientError(
                f"The quota service at {self.base_url} cannot be reached ({error.reason}):"
                " is the hub running? Pass --hub-url if it is not at this address."
            ) from None
        return json.loads(text) if text else None

    def me(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", "me")
        return result

    def user(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", f"users/{quote(name, safe='')}")
        return result

    def limits(self, kind: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.request("GET", _limits_path(kind, name))
        return result

    def set_limits(
        self, kind: str, name: str, limits: Mapping[str, Any], *, replace: bool = False
    ) -> dict[str, Any]:
        result: dict[str, Any] = self.request(
            "PUT" if replace else "PATCH", _limits_path(kind, name), body=limits
        )
        return result

    def delete_limits(self, kind: str, name: str) -> None:
        self.request("DELETE", _limits_path(kind, name))

    def all_limits(self, kind: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.request(
                "GET", "limits", params={"kind": kind, "limit": 1000, "cursor": cursor}
            )
            items.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                return items

    def usage(
        self, since: str | None = None, until: str | None = None, by: str = "user"
    ) -> dict[str, Any]:
        """The usage report, every page gathered into ``items``."""
        params: dict[str, Any] = {"since": since, "until": until, "by": by, "limit": 1000}
        report: dict[str, Any] = self.request("GET", "usage", params=params)
        cursor = report.pop("next_cursor")
        while cursor:
            page = self.request("GET", "usage", params={**params, "cursor": cursor})
            report["items"].extend(page["items"])
            cursor = page["next_cursor"]
        return report

    def enforce(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("POST", "enforce")
        return result


def _limits_path(kind: str, name: str) -> str:
    return f"limits/{kind}s/{quote(name, safe='')}"


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
    except ValueError:
        body = {}
    message = (body.get("error") or {}).get("message") if isinstance(body, dict) else None
    if message:
        return str(message)
    if error.code in (301, 302, 303, 307):
        return "The quota service asked to log in: the token was not accepted."
    if error.code == 404:
        return f"{error.url} was not found: is the hub running with the quota service?"
    return f"The quota service answered HTTP {error.code} {error.reason}."


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A rejected token must not be followed into the hub's login page."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _no_redirects() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)
