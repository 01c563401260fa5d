"""Datasets: named, versioned folders (git + DVC underneath), browsable and previewable.

``dl.datasets.create(...)``, ``dl.datasets.list()`` and ``dl.datasets.sync()`` live
here; ``dl.dataset(name)`` returns a :class:`~jupyter_dl.datasets.dataset.Dataset`.
Importing this package is cheap: the service, DVC and the image and array
libraries load on first use.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dataset import Dataset


def create(
    name: str,
    source_dir: str | os.PathLike[str],
    description: str = "",
    *,
    tags: Sequence[str] | None = None,
    message: str | None = None,
    tag: str | None = None,
    progress: bool = True,
) -> Dataset:
    """Create dataset ``name`` from the files of ``source_dir``; returns its first version.

    DVC adds the files, git commits (and tags, e.g. ``tag="v1"``) the version and DVC
    pushes it to the remote, with progress shown in the notebook. Nothing is
    registered if any step fails.
    """
    from pathlib import Path

    from ..api import dataset_service
    from .dataset import Dataset, reporter

    service = dataset_service()
    created = service.create_dataset(
        name,
        Path(source_dir),
        description=description,
        tags=builtins.list(tags or ()),
        message=message,
        tag=tag,
        progress=reporter(name, progress),
    )
    return Dataset(service, created["latest"])


def list(q: str | None = None) -> builtins.list[dict[str, Any]]:
    """The catalog: every dataset (matching ``q`` in name, description or tags)."""
    from ..api import dataset_service

    service = dataset_service()
    out: builtins.list[dict[str, Any]] = []
    cursor = None
    while True:
        page = service.list_datasets(q, 200, cursor)
        out.extend(page.items)
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


def sync() -> builtins.list[dict[str, Any]]:
    """Register versions committed to the dataset repository with the ``dvc``/``git``
    command lines; returns the versions found."""
    from ..api import dataset_service

    return dataset_service().sync()
