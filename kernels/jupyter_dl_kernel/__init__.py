"""The notebook side of jupyter-dl: IPython magics such as ``%dl_info``.

Spawned servers load this extension in every kernel (see the admin guide);
elsewhere ``%load_ext jupyter_dl`` (or ``jupyter_dl_kernel``) loads it.
"""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    from .magics import PlatformMagics

    ipython.register_magics(PlatformMagics)


def unload_ipython_extension(ipython: Any) -> None:
    from .magics import PlatformMagics

    registered = ipython.magics_manager.registry.pop(PlatformMagics.__name__, None)
    if registered is None:
        return
    for kind, names in PlatformMagics.magics.items():
        for name in names:
            ipython.magics_manager.magics[kind].pop(name, None)
