"""``dl.share``: share a project, dataset or model with a group from a notebook.

On a server that uses the team's platform (``$JUPYTER_DL_API_URL``) this is the
platform's ``PUT .../sharing``, checked there as the notebook's user: only the
owner (or a hub admin) may share, and only with one of their groups. On a
server with a store of its own it is recorded in that store, where it matters
once the store becomes a team's.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .errors import PlatformError
from .permissions import SHAREABLE

_ROUTES = {"project": "projects", "dataset": "datasets", "model": "models"}


def share(kind: str, name: str, group: str | None = None, access: str = "read") -> dict[str, Any]:
    """Share the ``kind`` (``"project"``, ``"dataset"`` or ``"model"``) called ``name``
    with ``group``, to ``"read"`` or to ``"write"`` (log runs into the project, publish
    versions, move aliases); ``group=None`` makes it private to its owner again.

    Returns who holds it now: ``{"owner", "group", "group_access"}``. Raises
    ``ValueError`` naming the reason when it may not be shared so.
    """
    if kind not in SHAREABLE:
        raise ValueError(f"kind must be one of {', '.join(SHAREABLE)}, not {kind!r}")
    changes = {"group": group, "group_access": access}
    from .platform_client import client_from_env

    client = client_from_env()
    try:
        if client is not None:
            return client.json("PUT", f"{_ROUTES[kind]}/{quote(name, safe='')}/sharing", changes)
        from .access import Access
        from .api import store
        from .permissions import PermissionService

        return PermissionService(store().open()).share(Access.everything(), kind, name, changes)
    except PlatformError as error:
        raise ValueError(error.message) from None
