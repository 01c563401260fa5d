"""Collect the facts shown by ``GET /dl/api/info``, ``dl.info()`` and ``%dl_info``.

All three hosts call this one service, so the sidebar, the notebook and the CLI
can never disagree about the version, the store or the GPUs.
"""

from __future__ import annotations

import html
import os
import platform
import socket
from contextlib import suppress
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from .. import __version__
from ..errors import StoreUnavailable
from ..gpus import probe
from ..store import Store


class PlatformInfo(dict[str, Any]):
    """The facts as a plain dict (JSON as served) that renders itself in notebooks."""

    def _repr_html_(self) -> str:
        store = self["store"]
        gpus = self["gpus"]
        gpu_items = "".join(
            f"<li>{html.escape(g['name'])} &middot; {_gib(g['memory_total'])}</li>" for g in gpus
        )
        gpu_cell = (
            f"<ul style='margin:0;padding-left:1.2em'>{gpu_items}</ul>"
            if gpus
            else "No GPUs visible"
        )
        rows = [
            ("Version", html.escape(self["version"])),
            ("Store", html.escape(f"{store['backend']} · {store['location']}")),
            ("Schema", html.escape(_revision(store))),
            ("GPUs", gpu_cell),
            ("CUDA driver", html.escape(self["cuda_driver"] or "none")),
            ("PyTorch", html.escape(self["torch"] or "not installed")),
            ("Python", html.escape(self["python"])),
            ("Host", html.escape(self["host"])),
        ]
        if self.get("team"):
            rows.append(("Team platform", html.escape(self["team"]["url"])))
        if store.get("error"):
            rows.append(("Store error", html.escape(store["error"])))
        body = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}</td></tr>"
            for k, v in rows
        )
        return f"<table class='jupyter-dl-info'><caption>jupyter-dl</caption>{body}</table>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.as_text())

    def as_text(self) -> str:
        """Aligned ``key: value`` lines for terminals and ``jupyter dl info``."""
        store = self["store"]
        gpus = self["gpus"]
        lines = [
            ("version", self["version"]),
            ("store", f"{store['backend']} {store['location']}"),
            ("schema", _revision(store)),
            (
                "gpus",
                ", ".join(f"{g['index']}: {g['name']} ({_gib(g['memory_total'])})" for g in gpus)
                or "none visible",
            ),
            ("cuda driver", self["cuda_driver"] or "none"),
            ("torch", self["torch"] or "not installed"),
            ("python", self["python"]),
            ("host", self["host"]),
        ]
        if self.get("team"):
            lines.append(("team", self["team"]["url"]))
        if store.get("error"):
            lines.append(("store error", store["error"]))
        return "\n".join(f"{k + ':':<13}{v}" for k, v in lines)


class PlatformInfoService:
    """Reads facts from the store and the machine; never imports a DL framework."""

    def __init__(self, store: Store, team_url: str | None = None) -> None:
        self.store = store
        self.team_url = team_url

    def info(self) -> PlatformInfo:
        """The current facts; GPU memory is read fresh on every call."""
        gpus = probe()
        return PlatformInfo(
            version=__version__,
            store=self._store_facts(),
            gpus=[gpu.to_json() for gpu in gpus.gpus],
            cuda_driver=gpus.driver,
            torch=_installed_version("torch"),
            python=platform.python_version(),
            host=socket.gethostname(),
            team={"url": self._team_url()} if self._team_url() else None,
        )

    def _team_url(self) -> str:
        """The team's platform service this process uses (``$JUPYTER_DL_API_URL``), if any."""
        if self.team_url is not None:
            return self.team_url
        from ..tracking.client import API_URL_ENV

        return os.environ.get(API_URL_ENV, "")

    def _store_facts(self) -> dict[str, Any]:
        if not self.store.ready:
            # An unusable store is described below, naming the path and the setting.
            with suppress(StoreUnavailable):
                self.store.open()
        facts = self.store.describe()
        if self.store.ready:
            from ..store.models import StoreMeta

            with self.store.session() as session:
                meta = {row.key: row.value for row in session.query(StoreMeta)}
            facts["id"] = meta.get("store_id")
            facts["created_at"] = meta.get("created_at")
        return facts


def _installed_version(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def _revision(store: dict[str, Any]) -> str:
    if store["revision"]:
        return str(store["revision"])
    return "unavailable" if store.get("error") else "migrating"
