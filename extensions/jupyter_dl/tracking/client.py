"""How a logging process reaches the platform: the store directly, or the REST API.

The same ``Run`` works in a notebook on a laptop (writing the local store), in a
training process on another node or a hub-managed server (talking HTTP to the
platform API), and in tests. Which one is configuration: ``JUPYTER_DL_API_URL``
(plus ``JUPYTER_DL_API_TOKEN``) selects HTTP; otherwise the store named by
``JUPYTER_DL_DB_URL`` (or the default) is written directly. A job's rank on a
cluster that sees only the job's folder has ``JUPYTER_DL_TRACKING_DIR`` set and
writes there for the job's supervisor to relay (``folder.py``).
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from ..errors import BadRequest, Conflict, NotFound, PlatformError, StoreUnavailable

API_URL_ENV = "JUPYTER_DL_API_URL"
API_TOKEN_ENV = "JUPYTER_DL_API_TOKEN"
TRACKING_DIR_ENV = "JUPYTER_DL_TRACKING_DIR"

Columns = dict[str, tuple[list[int], list[float], list[float]]]


class Transport(Protocol):
    """What a run needs from the platform; implemented locally and over HTTP."""

    def create_run(self, fields: dict[str, Any]) -> dict[str, Any]: ...
    def get_run(self, run_id: str) -> dict[str, Any]: ...
    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]: ...
    def log_series(self, run_id: str, columns: Columns) -> int: ...
    def heartbeat(self, run_id: str) -> None: ...
    def add_artifact(self, run_id: str, name: str, data: bytes | Path) -> dict[str, Any]: ...
    def series(self, run_id: str, key: str, points: int) -> dict[str, Any]: ...


class LocalTransport:
    """Calls the tracking service in this process, on the store of ``JUPYTER_DL_DB_URL``."""

    def __init__(self) -> None:
        from ..api import store
        from ..paths import resolve_artifacts_dir
        from .service import TrackingService

        opened = store()
        opened.open()
        self.service = TrackingService(opened, resolve_artifacts_dir(opened.url))

    def create_run(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.service.create_run(**fields)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.service.get_run(run_id)

    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.service.update_run(run_id, changes)

    def log_series(self, run_id: str, columns: Columns) -> int:
        return self.service.log_series(run_id, columns)

    def heartbeat(self, run_id: str) -> None:
        self.service.heartbeat(run_id)

    def add_artifact(self, run_id: str, name: str, data: bytes | Path) -> dict[str, Any]:
        return self.service.add_artifact(run_id, name, data)

    def series(self, run_id: str, key: str, points: int) -> dict[str, Any]:
        return self.service.series(run_id, key, points)


class HttpTransport:
    """Talks to ``<base_url>dl/api/`` with a Jupyter or JupyterHub token."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/") + "/dl/api/"
        self.token = token
        self.timeout = timeout

    def create_run(self, fields: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if k != "owner"}
        if "run_id" in body:
            body["id"] = body.pop("run_id")
        return self._json("POST", "runs", body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._json("GET", f"runs/{run_id}")

    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._json("PATCH", f"runs/{run_id}", changes)

    def log_series(self, run_id: str, columns: Columns) -> int:
        from .values import encode

        rows = [
            [key, s, t, encode(v)]
            for key, (steps, times, values) in columns.items()
            for s, t, v in zip(steps, times, values, strict=True)
        ]
        written: int = self._json("POST", f"runs/{run_id}/metrics", {"rows": rows})["written"]
        return written

    def heartbeat(self, run_id: str) -> None:
        self._request("POST", f"runs/{run_id}/heartbeat", b"")

    def add_artifact(self, run_id: str, name: str, data: bytes | Path) -> dict[str, Any]:
        payload = data.read_bytes() if isinstance(data, Path) else data
        body = self._request("PUT", f"runs/{run_id}/artifacts/{quote(name, safe='')}", payload)
        result: dict[str, Any] = json.loads(body)
        return result

    def series(self, run_id: str, key: str, points: int) -> dict[str, Any]:
        return self._json("GET", f"runs/{run_id}/metrics/{quote(key, safe='')}?points={points}")

    def _json(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body, allow_nan=False).encode()
        result: dict[str, Any] = json.loads(self._request(method, path, data) or b"{}")
        return result

    def _request(self, method: str, path: str, data: bytes | None) -> bytes:
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                content: bytes = response.read()
                return content
        except urllib.error.HTTPError as e:
            raise _platform_error(e) from None
        except urllib.error.URLError as e:
            raise StoreUnavailable(
                f"cannot reach the platform API at {self.base_url}: {e.reason}"
            ) from None


def _platform_error(error: urllib.error.HTTPError) -> PlatformError:
    """The server's JSON error as the same exception a local call would raise."""
    if error.code in (401, 403):
        return PlatformError(
            f"the platform API at {error.url} refused the request ({error.code}): set"
            f" ${API_TOKEN_ENV} to a valid token for that server"
        )
    try:
        message = json.loads(error.read())["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = f"HTTP {error.code} from {error.url}"
    kinds: dict[int, type[PlatformError]] = {400: BadRequest, 404: NotFound, 409: Conflict}
    return kinds.get(error.code, PlatformError)(message)


def api_token() -> str | None:
    """The token for ``JUPYTER_DL_API_URL``: ``JUPYTER_DL_API_TOKEN``, else the
    JupyterHub token of the server (or kernel) this process belongs to, which a hub
    with the team's platform service grants access to it."""
    return os.environ.get(API_TOKEN_ENV) or os.environ.get("JUPYTERHUB_API_TOKEN") or None


def transport_from_env() -> Transport:
    """A job's folder when ``JUPYTER_DL_TRACKING_DIR`` is set, HTTP when
    ``JUPYTER_DL_API_URL`` is, else the local store."""
    folder = os.environ.get(TRACKING_DIR_ENV)
    if folder:
        from .folder import FolderTransport

        return FolderTransport(Path(folder))
    url = os.environ.get(API_URL_ENV)
    if url:
        return HttpTransport(url, api_token())
    return LocalTransport()
