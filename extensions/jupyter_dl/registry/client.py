"""The team's model registry, reached over the platform API.

A user server pointed at the team's platform service (``JUPYTER_DL_API_URL``) keeps
no models of its own: ``dl.publish`` registers versions there, and ``dl.load_model``
and deployments on the server's machine read them from there. What they need on
this machine is a version's package, so :meth:`TeamRegistry.package_dir` fetches its
files into a cache under the local models folder, checks each against the SHA-256
the version lists, and reuses a complete copy: a version never changes once
published, and it is keyed by model id (a model deleted and published again under
the same name is a new id) and version number.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import BadRequest, NotFound
from ..platform_client import PlatformClient
from .package import sha256_of
from .service import LATEST, check_version, parse_ref

#: The cache of the team's packages, under the local models folder.
CACHE_DIR = ".team"
#: A version's ``path`` as the registry writes it: ``<model id>/<version>``.
VERSION_PATH = re.compile(r"^[0-9a-f]{1,64}/[0-9]{1,9}$")


class TeamRegistry:
    """The registry's calls a notebook and a deployment make, over HTTP."""

    def __init__(self, client: PlatformClient, models_dir: Path) -> None:
        self.client = client
        self.models_dir = Path(models_dir)

    # ----------------------------------------------------------------- write

    def register_from_run(
        self,
        name: str,
        run_id: str,
        artifact: str = "models/model",
        description: str = "",
        aliases: Sequence[str] = ("staging",),
    ) -> dict[str, Any]:
        """Publish the package a run kept (``artifact``) as the next version of ``name``;
        the service checks and replays it before registering it."""
        body = {
            "run_id": run_id,
            "artifact": artifact,
            "description": description,
            "aliases": [aliases] if isinstance(aliases, str) else list(aliases),
        }
        return self.client.json("POST", f"models/{_segment(name)}/versions", body)

    def run_models(self, run_id: str) -> list[str]:
        """The model folders a run kept."""
        models: list[str] = self.client.json("GET", f"runs/{_segment(run_id)}/models")["models"]
        return models

    # ------------------------------------------------------------------ read

    def list_models(self, query: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        params = f"?limit={int(limit)}" + (f"&q={quote(query, safe='')}" if query else "")
        items: list[dict[str, Any]] = self.client.json("GET", f"models{params}")["items"]
        return items

    def get_model(self, name: str) -> dict[str, Any]:
        return self.client.json("GET", f"models/{_segment(name)}")

    def resolve(self, ref: str) -> dict[str, Any]:
        """The version ``name``, ``name@alias`` or ``name:3`` names."""
        name, version, alias = parse_ref(ref)
        return self.find(name, version=version, alias=alias)

    def find(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> dict[str, Any]:
        """A version by number, by alias, or the newest, with the local registry's
        errors for what is not there."""
        if version is not None and alias is not None:
            raise BadRequest("name a version or an alias, not both")
        if version is None:
            model = self.get_model(name)
            if alias is not None and alias != LATEST:
                targets = {a["alias"]: a["version"] for a in model["aliases"]}
                if alias not in targets:
                    raise NotFound(f"model {name!r} has no alias {alias!r}")
                version = targets[alias]
            elif model["latest_version"] is None:
                raise NotFound(f"model {name!r} has no versions")
            else:
                version = model["latest_version"]
        number = check_version(version)
        return self.client.json("GET", f"models/{_segment(name)}/versions/{number}")

    # --------------------------------------------------------------- package

    def package_dir(self, version: dict[str, Any]) -> Path:
        """The version's package on this machine: the cached copy, its files checked
        against the version's checksums, with any missing or changed file fetched
        again. :class:`BadRequest` when a fetched file does not match either."""
        path = str(version.get("path") or "")
        if not VERSION_PATH.match(path):
            raise BadRequest(f"the platform named an unexpected package path {path!r}")
        root = self.models_dir / CACHE_DIR / path
        root.mkdir(parents=True, exist_ok=True)
        for listed in version["files"]:
            target = root / _file_name(listed["name"])
            if target.is_file() and sha256_of(target) == listed["sha256"]:
                continue
            self._fetch(version, listed, target)
        return root

    def _fetch(self, version: dict[str, Any], listed: dict[str, Any], target: Path) -> None:
        """Download one file next to ``target`` and move it into place once it matches."""
        name, number = version["model"], version["version"]
        route = f"models/{_segment(name)}/versions/{number}/files/{_segment(listed['name'])}"
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".fetch-")
        try:
            with os.fdopen(fd, "wb") as out:

                def write(chunk: bytes) -> None:
                    digest.update(chunk)
                    out.write(chunk)

                self.client.stream("GET", route, write)
            if digest.hexdigest() != listed["sha256"]:
                raise BadRequest(
                    f"{listed['name']} of {name!r} version {number} from the platform does not"
                    " match the checksum the version lists; it was not used"
                )
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _segment(value: str) -> str:
    """A path segment of a route, whatever ``value`` holds."""
    return quote(str(value), safe="")


def _file_name(name: Any) -> str:
    """A package file's name as the version lists it: one plain name, never a path."""
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name:
        raise BadRequest(f"the platform listed an unexpected package file {name!r}")
    return name
