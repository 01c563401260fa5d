"""The notebook side of jupyter-dl: IPython magics (``%dl_info``, ``%dl_dataset``,
``%dl_train`` and the other job magics, ``%dl_publish``, ``%dl_deploy``, ``%dl_quota``).

Spawned servers load this extension in every kernel (see the admin guide);
elsewhere ``%load_ext jupyter_dl`` (or ``jupyter_dl_kernel``) loads it.
"""

from __future__ import annotations

from typing import Any


def _magics() -> list[Any]:
    from .dataset_magics import DatasetMagics
    from .magics import PlatformMagics
    from .quota_magics import QuotaMagics
    from .registry_magics import RegistryMagics
    from .training_magics import TrainingMagics

    return [PlatformMagics, DatasetMagics, TrainingMagics, RegistryMagics, QuotaMagics]


def load_ipython_extension(ipython: Any) -> None:
    for magics in _magics():
        ipython.register_magics(magics)


def unload_ipython_extension(ipython: Any) -> None:
    for magics in _magics():
        registered = ipython.magics_manager.registry.pop(magics.__name__, None)
        if registered is None:
            continue
        for kind, names in magics.magics.items():
            for name in names:
                ipython.magics_manager.magics[kind].pop(name, None)
