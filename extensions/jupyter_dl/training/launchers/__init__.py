"""The engines that run training jobs, by the name users pass as ``backend``.

Each backend is a class with ``start`` (launch a job's supervisor) and ``stop``
(end everything the job started), imported only when a job uses it.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from ...errors import BadRequest
from ..files import JobFiles

#: backend name → "module:class", relative to this package.
BACKENDS = {"local": ".local:LocalLauncher"}


class Launcher(Protocol):
    """What the training service needs from a backend."""

    name: str

    def start(self, files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
        """Start the job's supervisor; returns its pid and start time."""
        ...

    def stop(self, job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
        """Stop the job and everything it started; returns pids that could not be stopped."""
        ...


def check_backend(name: Any) -> str:
    """``name`` when it is a backend this installation has; a 400 listing them otherwise."""
    if not isinstance(name, str) or name not in BACKENDS:
        raise BadRequest(f"unknown backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}")
    return name


def launcher(name: str) -> Launcher:
    module, _, cls = BACKENDS[check_backend(name)].partition(":")
    instance: Launcher = getattr(import_module(module, __name__), cls)()
    return instance
