"""Calls to a platform API over HTTP, for processes pointed at one.

A kernel or training process whose server shares the team's platform
(``JUPYTER_DL_API_URL``, with ``JUPYTER_DL_API_TOKEN`` or the server's hub token)
reaches it through :class:`PlatformClient`: the run logger (``tracking.client``) and
the registry (``registry.client``) both do, so a request is sent, authenticated and
its JSON error turned back into the exception a local call would raise in one place.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .errors import BadRequest, Conflict, Forbidden, NotFound, PlatformError, StoreUnavailable

API_URL_ENV = "JUPYTER_DL_API_URL"
API_TOKEN_ENV = "JUPYTER_DL_API_TOKEN"
#: Bytes read at a time from a download.
CHUNK = 1 << 20


class PlatformClient:
    """Talks to ``<base_url>dl/api/`` with a Jupyter or JupyterHub token."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        #: The server's URL as configured (``JUPYTER_DL_API_URL``).
        self.url = base_url
        self.base_url = base_url.rstrip("/") + "/dl/api/"
        self.token = token
        self.timeout = timeout

    def json(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Send ``body`` as JSON (when given) and return the JSON answer."""
        data = None if body is None else json.dumps(body, allow_nan=False).encode()
        result: dict[str, Any] = json.loads(self.request(method, path, data) or b"{}")
        return result

    def request(self, method: str, path: str, data: bytes | None = None) -> bytes:
        """The body of the answer to ``method path``; a platform error otherwise."""
        chunks: list[bytes] = []
        self.stream(method, path, chunks.append, data)
        return b"".join(chunks)

    def stream(
        self,
        method: str,
        path: str,
        write: Callable[[bytes], object],
        data: bytes | None = None,
    ) -> None:
        """Hand the answer's body to ``write`` a chunk at a time (a download need not
        fit in memory)."""
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                while chunk := response.read(CHUNK):
                    write(chunk)
        except urllib.error.HTTPError as e:
            raise platform_error(e) from None
        except urllib.error.URLError as e:
            raise StoreUnavailable(
                f"cannot reach the platform API at {self.base_url}: {e.reason}"
            ) from None


def platform_error(error: urllib.error.HTTPError) -> PlatformError:
    """The server's JSON error as the same exception a local call would raise."""
    try:
        body = json.loads(error.read())["error"]
        code, message = body["code"], body["message"]
    except (ValueError, KeyError, TypeError):
        code, message = None, f"HTTP {error.code} from {error.url}"
    if code == Forbidden.code:
        # The platform's own refusal (a record the group may only read), not the server's.
        return Forbidden(message)
    if error.code in (401, 403):
        return PlatformError(
            f"the platform API at {error.url} refused the request ({error.code}): set"
            f" ${API_TOKEN_ENV} to a valid token for that server"
        )
    kinds: dict[int, type[PlatformError]] = {400: BadRequest, 404: NotFound, 409: Conflict}
    return kinds.get(error.code, PlatformError)(message)


def api_token() -> str | None:
    """The token for ``JUPYTER_DL_API_URL``: ``JUPYTER_DL_API_TOKEN``, else the
    JupyterHub token of the server (or kernel) this process belongs to, which a hub
    with the team's platform service grants access to it."""
    return os.environ.get(API_TOKEN_ENV) or os.environ.get("JUPYTERHUB_API_TOKEN") or None


def client_from_env() -> PlatformClient | None:
    """A client of the platform API at ``JUPYTER_DL_API_URL``; None when it is not set
    (this process uses the local store)."""
    url = os.environ.get(API_URL_ENV)
    return PlatformClient(url, api_token()) if url else None
