"""User servers of the embedded hub: local processes of the hub's own Python.

Every server runs as the hub's Unix user (there is one person on a laptop), with
its home under the hub's state directory, JupyterLab as the landing page, and
the platform's IPython extension loaded in every kernel it starts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import SimpleLocalProcessSpawner
from traitlets import Bool, default

from jupyter_dl.paths import DB_URL_ENV

#: Where IPython looks for startup files of the default profile, relative to $HOME.
KERNEL_STARTUP_FILE = Path(".ipython", "profile_default", "startup", "00-jupyter-dl.py")

KERNEL_STARTUP_SOURCE = '''\
"""Loads the jupyter-dl magics in every kernel. Written by the jupyter-dl hub at each spawn."""
try:
    get_ipython().extension_manager.load_extension("jupyter_dl_kernel")
except ModuleNotFoundError as error:
    # Not installed in this kernel's environment: plain IPython, no magics.
    if error.name != "jupyter_dl_kernel":
        raise
'''


def write_kernel_startup(home: Path) -> Path:
    """Install the startup file that loads ``jupyter_dl_kernel`` under ``home``; return it.

    A startup file of its own rather than ``ipython_kernel_config.py``: the user's
    config file stays theirs to edit, and kernels of environments without the
    extension skip it quietly instead of printing a failed-extension traceback.
    """
    path = home / KERNEL_STARTUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != KERNEL_STARTUP_SOURCE:
        path.write_text(KERNEL_STARTUP_SOURCE)
    return path


def prepend_path(directory: str, search_path: str) -> str:
    """``search_path`` (a $PATH value) with ``directory`` first and not repeated."""
    rest = [entry for entry in search_path.split(os.pathsep) if entry and entry != directory]
    return os.pathsep.join([directory, *rest])


class EmbeddedSpawner(SimpleLocalProcessSpawner):  # type: ignore[misc]
    """``SimpleLocalProcessSpawner`` that starts the platform's servers and kernels."""

    autoload_kernel_extension = Bool(
        True,
        help="""Load the jupyter_dl_kernel IPython extension in every kernel, no %load_ext needed.

        Before each start, the spawner writes
        ~/.ipython/profile_default/startup/00-jupyter-dl.py into the user's home.
        Set False to leave kernels plain: the file is then removed at the next start.""",
    ).tag(config=True)

    @default("cmd")
    def _default_cmd(self) -> list[str]:
        # The hub's own interpreter: the servers see exactly the packages the
        # hub was installed with, whether or not a virtualenv is activated.
        return [sys.executable, "-m", "jupyterhub.singleuser"]

    @default("default_url")
    def _default_default_url(self) -> str:
        return "/lab"

    @default("env_keep")
    def _default_env_keep(self) -> list[str]:
        keep: list[str] = super()._env_keep_default()
        return [*keep, DB_URL_ENV]

    def get_args(self) -> list[str]:
        args = list(super().get_args())
        # Jupyter Server refuses to run as root without it; servers run as the
        # hub's user, so this only happens when the hub itself runs as root
        # (containers, CI).
        if os.geteuid() == 0 and "--allow-root" not in args:
            args.append("--allow-root")
        return args

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        # Terminals, `!pip` and kernels find the hub's environment first, even
        # when the hub was started by the interpreter's path, unactivated.
        env["PATH"] = prepend_path(str(Path(sys.executable).parent), env.get("PATH") or os.defpath)
        return env

    async def start(self) -> Any:
        home = Path(self.home_dir)
        if self.autoload_kernel_extension:
            write_kernel_startup(home)
        else:
            (home / KERNEL_STARTUP_FILE).unlink(missing_ok=True)
        return await super().start()
