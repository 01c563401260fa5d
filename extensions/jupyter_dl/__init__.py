"""jupyter-dl: a deep-learning platform inside JupyterHub and JupyterLab.

``import jupyter_dl as dl`` is the user's entry point (``dl.info()``, ``dl.init``,
``dl.dataset``, ``dl.datasets``, ``dl.compare``, ``dl.train``, ``dl.job``, ``dl.distributed``,
``dl.publish``, ``dl.load_model``, ``dl.sweep``, ``dl.report``). The names are resolved
lazily so that importing the package, which every Jupyter server does to load the
extension, costs next to nothing.
"""

from __future__ import annotations

from typing import Any

try:
    from ._version import __version__  # written by the build
except ImportError:  # a source tree that was never built or installed
    __version__ = "0.0.0"

__all__ = [
    "Deployment",
    "Job",
    "JobFailed",
    "Sweep",
    "__version__",
    "choice",
    "compare",
    "current",
    "dataset",
    "datasets",
    "deploy",
    "deployments",
    "distributed",
    "finish",
    "info",
    "init",
    "intrange",
    "job",
    "jobs",
    "load_model",
    "log",
    "log_artifact",
    "log_model",
    "loguniform",
    "models",
    "publish",
    "report",
    "share",
    "sweep",
    "sweeps",
    "train",
    "uniform",
]

_API = {
    "compare",
    "current",
    "dataset",
    "datasets",
    "finish",
    "info",
    "init",
    "log",
    "log_artifact",
    "log_model",
}
_TRAINING = {"train", "job", "jobs", "Job", "JobFailed"}
_SWEEPS = {"sweep", "sweeps", "report", "Sweep"}
_SPACE = {"uniform", "loguniform", "intrange", "choice"}
_REGISTRY = {"publish", "load_model", "models", "deploy", "deployments", "Deployment"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    if name in _TRAINING:
        from .training import job

        return getattr(job, name)
    if name in _REGISTRY:
        from .registry import publish

        return getattr(publish, name)
    if name in _SWEEPS:
        from .training import sweep

        return getattr(sweep, name)
    if name in _SPACE:
        from .training import search_space

        return getattr(search_space, name)
    if name == "share":
        from .sharing import share

        return share
    if name == "distributed":
        from .training.distributed import distributed

        return distributed
    if name == "run":  # the current run, like ``wandb.run``
        from . import api

        return api._run
    raise AttributeError(f"module 'jupyter_dl' has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import JupyterDL

    return [{"module": "jupyter_dl", "app": JupyterDL}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-dl"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_dl`` loads the notebook magics."""
    from jupyter_dl_kernel import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from jupyter_dl_kernel import unload_ipython_extension as unload

    unload(ipython)
