"""Datasets: named, versioned folders (git + DVC underneath), browsable and previewable.

``dl.datasets.create(...)``, ``dl.datasets.list()`` and ``dl.datasets.sync()`` live
here; ``dl.dataset(name)`` returns a :class:`~jupyter_dl.datasets.dataset.Dataset`.
They work on this machine's repository, or, when ``$JUPYTER_DL_API_URL`` points
at a team's platform, on the team's datasets over its REST API (``remote.py``).
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
    from .remote import RemoteDatasets
    from .service import DatasetService


def source() -> DatasetService | RemoteDatasets:
    """Where the datasets are: the team's platform when ``$JUPYTER_DL_API_URL`` is set
    (as on a server the hub points at it, and in its kernels and jobs), else the
    repository and store of this machine."""
    from ..api import dataset_service
    from .remote import client_from_env

    return client_from_env() or dataset_service()


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
    registered if any step fails. In a team, the files are sent to the team's
    platform, which makes the version the same way; the dataset is the caller's,
    private until shared.
    """
    from pathlib import Path

    from .dataset import Dataset, reporter

    service = source()
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
    service = source()
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
    command lines; returns the versions found. It runs where the repository is: in a
    team, on the platform's machine."""
    from ..errors import BadRequest
    from .service import DatasetService

    service = source()
    if not isinstance(service, DatasetService):
        raise BadRequest(
            "dl.datasets.sync() registers commits made in the dataset repository; the"
            " team's repository is on its platform's machine, so run it there"
        )
    return service.sync()
