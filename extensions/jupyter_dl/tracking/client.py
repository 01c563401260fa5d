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
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from ..platform_client import API_TOKEN_ENV, API_URL_ENV, PlatformClient, api_token

__all__ = [
    "API_TOKEN_ENV",
    "API_URL_ENV",
    "TRACKING_DIR_ENV",
    "Columns",
    "HttpTransport",
    "LocalTransport",
    "Transport",
    "api_token",
    "transport_from_env",
]

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


class HttpTransport(PlatformClient):
    """Talks to ``<base_url>dl/api/`` with a Jupyter or JupyterHub token."""

    def create_run(self, fields: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if k != "owner"}
        if "run_id" in body:
            body["id"] = body.pop("run_id")
        return self.json("POST", "runs", body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.json("GET", f"runs/{run_id}")

    def update_run(self, run_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self.json("PATCH", f"runs/{run_id}", changes)

    def log_series(self, run_id: str, columns: Columns) -> int:
        from .values import encode

        rows = [
            [key, s, t, encode(v)]
            for key, (steps, times, values) in columns.items()
            for s, t, v in zip(steps, times, values, strict=True)
        ]
        written: int = self.json("POST", f"runs/{run_id}/metrics", {"rows": rows})["written"]
        return written

    def heartbeat(self, run_id: str) -> None:
        self.request("POST", f"runs/{run_id}/heartbeat", b"")

    def add_artifact(self, run_id: str, name: str, data: bytes | Path) -> dict[str, Any]:
        payload = data.read_bytes() if isinstance(data, Path) else data
        body = self.request("PUT", f"runs/{run_id}/artifacts/{quote(name, safe='')}", payload)
        result: dict[str, Any] = json.loads(body)
        return result

    def series(self, run_id: str, key: str, points: int) -> dict[str, Any]:
        return self.json("GET", f"runs/{run_id}/metrics/{quote(key, safe='')}?points={points}")


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
