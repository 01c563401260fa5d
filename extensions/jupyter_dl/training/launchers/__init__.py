"""The engines that run training jobs, by the name users pass as ``backend``.

Each backend is a class with ``check_options`` (the backend's own settings of a
job, checked before anything starts), ``start`` (launch the job's supervisor),
``run`` (inside the supervisor: run the ranks until they end) and ``stop`` (end
everything the job started), imported only when a job uses it.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any, Protocol

from ...errors import BadRequest
from ..files import JobFiles
from ..outcome import Outcome

#: backend name → "module:class", relative to this package.
BACKENDS = {
    "local": ".local:LocalLauncher",
    "dask": ".dask:DaskLauncher",
    "kubernetes": ".kubernetes:KubernetesLauncher",
}
#: backend name → what it is, for the launch form and error messages.
DESCRIPTIONS = {
    "local": "torch elastic on this server's machine",
    "dask": "one rank per worker of a Dask cluster (address option; a LocalCluster by default)",
    "kubernetes": "pods of a Kubernetes cluster: a Kubeflow PyTorchJob or an indexed Job",
}


class Launcher(Protocol):
    """What the training service needs from a backend."""

    name: str

    def check_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """The backend's options of a job, checked and completed; a 400 when one is wrong."""
        ...

    def start(self, files: JobFiles, workdir: Path, env: dict[str, str]) -> tuple[int, float]:
        """Start the job's supervisor; returns its pid and start time."""
        ...

    def run(self, files: JobFiles, spec: dict[str, Any]) -> Outcome:
        """Inside the supervisor: run the job's ranks until they end; how they ended.

        Raises :class:`~..outcome.Stopped` when the supervisor is told to stop."""
        ...

    def stop(self, job: dict[str, Any], files: JobFiles, grace: float) -> list[int]:
        """Stop the job and everything it started; returns pids that could not be stopped."""
        ...


def check_backend(name: Any) -> str:
    """``name`` when it is a backend this installation has; a 400 listing them otherwise."""
    if not isinstance(name, str) or name not in BACKENDS:
        raise BadRequest(f"unknown backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}")
    return name


def backends() -> list[dict[str, str]]:
    """The backends this installation has, for people choosing one."""
    return [{"name": name, "description": DESCRIPTIONS.get(name, "")} for name in BACKENDS]


def launcher(name: str) -> Launcher:
    module, _, cls = BACKENDS[check_backend(name)].partition(":")
    instance: Launcher = getattr(import_module(module, __name__), cls)()
    return instance
