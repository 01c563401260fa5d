"""The model registry: named models, numbered versions, movable aliases, lineage.

Everything the Models panel, the REST API, ``dl.publish``/``dl.load_model``, the
``%dl_publish`` magic and ``jupyter dl serve`` do with models goes through
:class:`RegistryService`. A version is a row in the store (signature, metrics,
lineage, files) and a package folder under the models directory
(``<models dir>/<model id>/<version>/``, see ``package.py``) that was verified to
load before it was registered.

Versions count up from 1 per model and are never renumbered. Aliases
(``staging``, ``production``, any lower-case name) point at one version each; every
move is kept with who made it and when, the way MLflow's registry records stage
transitions. A version an alias or a live deployment uses cannot be deleted.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..access import Access, where_visible
from ..errors import BadRequest, Conflict, NotFound
from ..pages import Page, iso_time, next_cursor, page_window

if TYPE_CHECKING:
    from ..datasets.service import DatasetService
    from ..store import Store
    from ..tracking.service import TrackingService
    from .package import Package

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
ALIAS_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
#: Not an alias: ``name@latest`` always means the newest version.
LATEST = "latest"
#: Deployments in these states hold their version.
LIVE_DEPLOYMENTS = ("starting", "running")
STAGING_DIR = ".staging"


class RegistryService:
    """Models of one store; their packages under ``models_dir``.

    ``tracking`` supplies a version's run (metrics, code version) and ``datasets``
    the dataset versions that run used, for lineage.
    """

    def __init__(
        self,
        store: Store,
        models_dir: Path,
        tracking: TrackingService,
        datasets: DatasetService | None = None,
    ) -> None:
        self.store = store
        self.models_dir = Path(models_dir)
        self.tracking = tracking
        self.datasets = datasets

    # --------------------------------------------------------------- publish

    def staging_dir(self) -> Path:
        """A fresh folder to build a package in, on the same disk as the models (so
        registering it is a rename)."""
        path = self.models_dir / STAGING_DIR / secrets.token_hex(8)
        path.mkdir(parents=True)
        return path

    def register(
        self,
        name: str,
        package: Package,
        run_id: str | None = None,
        description: str = "",
        aliases: Sequence[str] = (),
        user: str | None = None,
    ) -> dict[str, Any]:
        """Register a verified package as the model's next version; returns the version.

        The package folder is moved into the registry; on any error nothing is
        registered and the folder is removed.
        """
        from ..store.models import ModelVersion, RegisteredModel

        try:
            check_model_name(name)
            aliases = [check_alias(a) for a in _alias_list(aliases)]
            if not isinstance(description, str):
                raise BadRequest("description must be a string")
            lineage, metrics = self._lineage(run_id)
            with self.store.session(write=True) as s:
                model = self._model_or_none(s, name)
                now = time.time()
                if model is None:
                    model = RegisteredModel(
                        id=secrets.token_hex(6),
                        name=name,
                        description="",
                        owner=user,
                        latest_version=0,
                        created_at=now,
                        updated_at=now,
                    )
                    s.add(model)
                    s.flush()
                version = model.latest_version + 1
                target = self.models_dir / model.id / str(version)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():  # left by a crash between rename and commit
                    shutil.rmtree(target)
                package.root.rename(target)
                try:
                    model.latest_version = version
                    model.updated_at = now
                    row = ModelVersion(
                        model_id=model.id,
                        version=version,
                        run_id=run_id,
                        description=description,
                        created_by=user,
                        created_at=now,
                        program_format=package.program_format,
                        weights_format=package.weights_format,
                        signature=package.signature.to_json(),
                        metrics=metrics,
                        lineage=lineage,
                        files=package.files,
                        size=package.size,
                        path=f"{model.id}/{version}",
                    )
                    s.add(row)
                    for alias in aliases:
                        self._move_alias(s, model, alias, version, user, now)
                    s.flush()
                    body = self._version_json(s, model, row)
                except BaseException:
                    shutil.rmtree(target, ignore_errors=True)
                    raise
            return body
        finally:
            shutil.rmtree(package.root, ignore_errors=True)

    def register_from_run(
        self,
        name: str,
        run_id: str,
        artifact: str = "models/model",
        description: str = "",
        aliases: Sequence[str] = ("staging",),
        user: str | None = None,
    ) -> dict[str, Any]:
        """Publish a model a run kept with ``run.log_model`` (the artifact folder
        ``artifact``): its package is copied, checked and replayed again, then
        registered like ``dl.publish`` would."""
        from .package import PackageError, open_package

        check_model_name(name)
        if not isinstance(artifact, str) or not artifact.strip("/"):
            raise BadRequest("artifact must name the run's model folder, e.g. models/model")
        if not isinstance(run_id, str):
            raise BadRequest("run_id must be a run id")
        self.tracking.get_run(run_id)
        source = (self.tracking.artifacts_dir / run_id / artifact.strip("/")).resolve()
        if self.tracking.artifacts_dir.resolve() not in source.parents or not source.is_dir():
            raise NotFound(f"run {run_id} has no model folder {artifact!r}")
        staging = self.staging_dir()
        try:
            shutil.copytree(source, staging, dirs_exist_ok=True)
            package = open_package(staging)
        except PackageError as e:
            shutil.rmtree(staging, ignore_errors=True)
            raise BadRequest(f"run {run_id}'s {artifact}: {e}") from None
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.register(name, package, run_id, description, aliases, user)

    def run_models(self, run_id: str) -> list[str]:
        """The model folders a run kept with ``run.log_model`` (artifact names)."""
        from sqlalchemy import select

        from ..store.models import Artifact
        from ..tracking.run import MODELS_FOLDER
        from .package import MANIFEST_FILE

        self.tracking.get_run(run_id)
        with self.store.session() as s:
            names = s.scalars(
                select(Artifact.name).where(
                    Artifact.run_id == run_id,
                    Artifact.name.like(f"{MODELS_FOLDER}/%/{MANIFEST_FILE}"),
                )
            ).all()
        return sorted(n.removesuffix(f"/{MANIFEST_FILE}") for n in names)

    def _lineage(self, run_id: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Where a version came from (run, code, datasets) and its run's metrics."""
        if run_id is None:
            return {"run": None, "code": None, "datasets": []}, {}
        if not isinstance(run_id, str):
            raise BadRequest("run must be a run id")
        run = self.tracking.get_run(run_id)
        system = run.get("system") or {}
        git = system.get("git") or None
        code = (
            {k: git.get(k) for k in ("commit", "branch", "remote", "dirty")}
            if isinstance(git, dict)
            else None
        )
        source = system.get("notebook") or system.get("script")
        if code is not None or source:
            code = {**(code or {}), "source": _source_path(source)}
        used: list[dict[str, Any]] = []
        if self.datasets is not None:
            used = self.datasets.datasets_of_run(run_id, limit=200).items
        lineage = {
            "run": {"id": run["id"], "name": run["name"], "project": run["project"]},
            "code": code,
            "datasets": [{k: u[k] for k in ("dataset", "version", "commit", "tag")} for u in used],
        }
        metrics = dict(run.get("summary") or {})
        return lineage, metrics

    # ------------------------------------------------------------------ read

    def list_models(
        self,
        query: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """Models by name; ``query`` keeps names containing it, ``visible`` those that
        user may read."""
        from sqlalchemy import select

        from ..store.models import RegisteredModel

        limit, offset = page_window(limit, cursor)
        stmt = (
            select(RegisteredModel)
            .where(*where_visible(visible, RegisteredModel))
            .order_by(RegisteredModel.name)
        )
        if query:
            stmt = stmt.where(RegisteredModel.name.contains(query, autoescape=True))
        with self.store.session() as s:
            rows = s.scalars(stmt.offset(offset).limit(limit + 1)).all()
            items = [self._model_json(s, m) for m in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def get_model(self, name: str) -> dict[str, Any]:
        with self.store.session() as s:
            return self._model_json(s, self._model(s, name))

    def update_model(self, name: str, changes: Any) -> dict[str, Any]:
        """Change a model's description."""
        if not isinstance(changes, dict) or set(changes) - {"description"}:
            raise BadRequest('send {"description": "..."}')
        description = changes.get("description", "")
        if not isinstance(description, str):
            raise BadRequest("description must be a string")
        with self.store.session(write=True) as s:
            model = self._model(s, name)
            model.description = description
            model.updated_at = time.time()
            return self._model_json(s, model)

    def list_versions(self, name: str, limit: int = 50, cursor: str | None = None) -> Page:
        """A model's versions, newest first."""
        from sqlalchemy import select

        from ..store.models import ModelVersion

        limit, offset = page_window(limit, cursor)
        with self.store.session() as s:
            model = self._model(s, name)
            rows = s.scalars(
                select(ModelVersion)
                .where(ModelVersion.model_id == model.id)
                .order_by(ModelVersion.version.desc())
                .offset(offset)
                .limit(limit + 1)
            ).all()
            items = [self._version_json(s, model, v) for v in rows[:limit]]
        return Page(items, next_cursor(offset, limit, len(rows)))

    def get_version(self, name: str, version: Any) -> dict[str, Any]:
        with self.store.session() as s:
            model = self._model(s, name)
            return self._version_json(s, model, self._version(s, model, version))

    def resolve(self, ref: str) -> dict[str, Any]:
        """The version a reference names: ``name`` or ``name@latest`` (the newest),
        ``name@alias``, or ``name:3`` / ``name@3`` (a number)."""
        name, version, alias = parse_ref(ref)
        return self.find(name, version=version, alias=alias)

    def find(
        self, name: str, version: int | None = None, alias: str | None = None
    ) -> dict[str, Any]:
        """A version by number, by alias, or the newest when neither is given."""
        if version is not None and alias is not None:
            raise BadRequest("name a version or an alias, not both")
        with self.store.session() as s:
            model = self._model(s, name)
            if alias is not None and alias != LATEST:
                number = self._alias_target(s, model, alias)
            elif version is not None:
                number = version
            else:
                if model.latest_version == 0:
                    raise NotFound(f"model {name!r} has no versions")
                number = self._newest(s, model)
            return self._version_json(s, model, self._version(s, model, number))

    def example_request(self, name: str, version: Any) -> dict[str, Any]:
        """The example a version was published with, as an Open Inference Protocol
        request body (``inputs`` with name, datatype, shape and flat data)."""
        from .package import load_example
        from .signature import datatype_of

        found = self.get_version(name, version)
        inputs = load_example(self.package_dir(found))
        return {
            "inputs": [
                {
                    "name": key,
                    "datatype": datatype_of(str(tensor.dtype)),
                    "shape": list(tensor.shape),
                    "data": tensor.flatten().tolist(),
                }
                for key, tensor in inputs.items()
            ]
        }

    def package_dir(self, version: dict[str, Any]) -> Path:
        """The package folder of a version returned by this service."""
        return self.models_dir / str(version["path"])

    def version_file(self, name: str, version: Any, path: str) -> Path:
        """One file of a version's package, for a process that loads or serves the
        version from a copy (a user server of the team). Only the files the version
        lists and its manifest are served: nothing outside the package."""
        from .package import MANIFEST_FILE

        found = self.get_version(name, version)
        root = self.package_dir(found).resolve()
        listed = {f["name"] for f in found["files"]} | {MANIFEST_FILE}
        target = (root / path).resolve() if isinstance(path, str) else root
        if path not in listed or target.parent != root or not target.is_file():
            raise NotFound(f"version {found['version']} of {name!r} has no file {path!r}")
        return target

    # --------------------------------------------------------------- aliases

    def set_alias(
        self, name: str, alias: str, version: Any, user: str | None = None
    ) -> dict[str, Any]:
        """Point ``alias`` at ``version`` (moving it when it points elsewhere); returns
        the model with its aliases."""
        alias = check_alias(alias)
        with self.store.session(write=True) as s:
            model = self._model(s, name)
            number = self._version(s, model, version).version
            self._move_alias(s, model, alias, number, user, time.time())
            s.flush()
            return self._model_json(s, model)

    def delete_alias(self, name: str, alias: str, user: str | None = None) -> dict[str, Any]:
        from ..store.models import ModelAlias, ModelAliasEvent

        with self.store.session(write=True) as s:
            model = self._model(s, name)
            row = s.get(ModelAlias, (model.id, alias)) if isinstance(alias, str) else None
            if row is None:
                raise NotFound(f"model {name!r} has no alias {alias!r}")
            s.add(
                ModelAliasEvent(
                    model_id=model.id,
                    alias=alias,
                    version=None,
                    previous=row.version,
                    by=user,
                    at=time.time(),
                )
            )
            s.delete(row)
            s.flush()
            return self._model_json(s, model)

    def alias_history(self, name: str, limit: int = 50, cursor: str | None = None) -> Page:
        """Every move of the model's aliases, newest first."""
        from sqlalchemy import select

        from ..store.models import ModelAliasEvent

        limit, offset = page_window(limit, cursor)
        with self.store.session() as s:
            model = self._model(s, name)
            rows = s.scalars(
                select(ModelAliasEvent)
                .where(ModelAliasEvent.model_id == model.id)
                .order_by(ModelAliasEvent.at.desc(), ModelAliasEvent.id.desc())
                .offset(offset)
                .limit(limit + 1)
            ).all()
            items = [
                {
                    "alias": e.alias,
                    "version": e.version,
                    "previous": e.previous,
                    "by": e.by,
                    "at": iso_time(e.at),
                }
                for e in rows[:limit]
            ]
        return Page(items, next_cursor(offset, limit, len(rows)))

    # ---------------------------------------------------------------- delete

    def delete_version(self, name: str, version: Any) -> None:
        """Delete a version and its package; refused while an alias or a live
        deployment uses it."""
        from sqlalchemy import select

        from ..store.models import Deployment, ModelAlias

        with self.store.session(write=True) as s:
            model = self._model(s, name)
            row = self._version(s, model, version)
            aliases = s.scalars(
                select(ModelAlias.alias).where(
                    ModelAlias.model_id == model.id, ModelAlias.version == row.version
                )
            ).all()
            if aliases:
                raise Conflict(
                    f"version {row.version} of {name!r} is {_names(aliases)}: move or remove"
                    f" {'that alias' if len(aliases) == 1 else 'those aliases'} first"
                )
            live = s.scalars(
                select(Deployment.id).where(
                    Deployment.model_id == model.id,
                    Deployment.version == row.version,
                    Deployment.status.in_(LIVE_DEPLOYMENTS),
                )
            ).all()
            if live:
                raise Conflict(
                    f"version {row.version} of {name!r} is served by deployment"
                    f" {', '.join(live)}: stop it first"
                )
            path = self.models_dir / row.path
            s.delete(row)
            model.updated_at = time.time()
        shutil.rmtree(path, ignore_errors=True)

    def delete_model(self, name: str) -> None:
        """Delete a model that has no versions left."""
        from sqlalchemy import func, select

        from ..store.models import ModelVersion

        with self.store.session(write=True) as s:
            model = self._model(s, name)
            count = s.scalar(select(func.count()).where(ModelVersion.model_id == model.id))
            if count:
                raise Conflict(f"model {name!r} still has {count} version(s): delete them first")
            s.delete(model)
        shutil.rmtree(self.models_dir / model.id, ignore_errors=True)

    # ------------------------------------------------------------- internals

    def _model_or_none(self, s: Any, name: str) -> Any:
        from sqlalchemy import select

        from ..store.models import RegisteredModel

        if not isinstance(name, str):
            return None
        return s.scalars(select(RegisteredModel).where(RegisteredModel.name == name)).first()

    def _model(self, s: Any, name: str) -> Any:
        model = self._model_or_none(s, name)
        if model is None:
            raise NotFound(f"no model named {name!r}")
        return model

    def _version(self, s: Any, model: Any, version: Any) -> Any:
        from ..store.models import ModelVersion

        number = check_version(version)
        row = s.get(ModelVersion, (model.id, number))
        if row is None:
            raise NotFound(f"model {model.name!r} has no version {number}")
        return row

    def _newest(self, s: Any, model: Any) -> int:
        from sqlalchemy import func, select

        from ..store.models import ModelVersion

        newest = s.scalar(
            select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
        )
        if newest is None:
            raise NotFound(f"model {model.name!r} has no versions")
        return int(newest)

    def _alias_target(self, s: Any, model: Any, alias: str) -> int:
        from ..store.models import ModelAlias

        row = s.get(ModelAlias, (model.id, alias))
        if row is None:
            raise NotFound(f"model {model.name!r} has no alias {alias!r}")
        return int(row.version)

    def _move_alias(
        self, s: Any, model: Any, alias: str, version: int, user: str | None, now: float
    ) -> None:
        from ..store.models import ModelAlias, ModelAliasEvent

        row = s.get(ModelAlias, (model.id, alias))
        previous = row.version if row is not None else None
        if previous == version:
            return
        if row is None:
            s.add(
                ModelAlias(model_id=model.id, alias=alias, version=version, set_by=user, set_at=now)
            )
        else:
            row.version, row.set_by, row.set_at = version, user, now
        s.add(
            ModelAliasEvent(
                model_id=model.id, alias=alias, version=version, previous=previous, by=user, at=now
            )
        )

    def _aliases(self, s: Any, model: Any) -> dict[int, list[str]]:
        from sqlalchemy import select

        from ..store.models import ModelAlias

        by_version: dict[int, list[str]] = {}
        rows = s.scalars(
            select(ModelAlias).where(ModelAlias.model_id == model.id).order_by(ModelAlias.alias)
        ).all()
        for row in rows:
            by_version.setdefault(row.version, []).append(row.alias)
        return by_version

    def _model_json(self, s: Any, model: Any) -> dict[str, Any]:
        from sqlalchemy import func, select

        from ..store.models import ModelAlias, ModelVersion

        count = s.scalar(select(func.count()).where(ModelVersion.model_id == model.id))
        aliases = s.scalars(
            select(ModelAlias).where(ModelAlias.model_id == model.id).order_by(ModelAlias.alias)
        ).all()
        newest = s.scalar(
            select(func.max(ModelVersion.version)).where(ModelVersion.model_id == model.id)
        )
        return {
            "id": model.id,
            "name": model.name,
            "description": model.description,
            "owner": model.owner,
            "group": model.group_name,
            "group_access": model.group_access,
            "versions": count,
            "latest_version": newest,
            "aliases": [
                {
                    "alias": a.alias,
                    "version": a.version,
                    "set_by": a.set_by,
                    "set_at": iso_time(a.set_at),
                }
                for a in aliases
            ],
            "created_at": iso_time(model.created_at),
            "updated_at": iso_time(model.updated_at),
        }

    def _version_json(self, s: Any, model: Any, row: Any) -> dict[str, Any]:
        return {
            "model": model.name,
            "version": row.version,
            "aliases": self._aliases(s, model).get(row.version, []),
            "description": row.description,
            "run_id": row.run_id,
            "created_by": row.created_by,
            "created_at": iso_time(row.created_at),
            "program_format": row.program_format,
            "weights_format": row.weights_format,
            "signature": row.signature,
            "metrics": row.metrics,
            "lineage": row.lineage,
            "files": row.files,
            "size": row.size,
            "path": row.path,
        }


def parse_ref(ref: Any) -> tuple[str, int | None, str | None]:
    """``(name, version, alias)`` of ``name``, ``name@alias``, ``name@3`` or ``name:3``."""
    if not isinstance(ref, str) or not ref.strip():
        raise BadRequest("name a model: NAME, NAME@ALIAS or NAME:VERSION")
    ref = ref.strip()
    name, sep, rest = ref.rpartition("@") if "@" in ref else ref.rpartition(":")
    if not sep:
        return check_model_name(ref), None, None
    check_model_name(name)
    if rest.isdigit():
        return name, check_version(int(rest)), None
    if sep == ":":
        raise BadRequest(f"{ref!r}: the version after ':' must be a number")
    return name, None, rest if rest == LATEST else check_alias(rest)


def check_model_name(name: Any) -> str:
    if not isinstance(name, str) or not MODEL_NAME.match(name):
        raise BadRequest(
            f"a model name is 1-128 letters, digits, '.', '_' or '-', starting with a letter"
            f" or digit, not {name!r}"
        )
    return name


def check_alias(alias: Any) -> str:
    if not isinstance(alias, str) or not ALIAS_NAME.match(alias) or alias == LATEST:
        raise BadRequest(
            f"an alias is a lower-case name (letters, digits, '_', '-') such as 'staging'"
            f" other than 'latest', not {alias!r}"
        )
    return alias


def check_version(version: Any) -> int:
    if isinstance(version, str) and version.isdigit():
        version = int(version)
    if type(version) is not int or version < 1:
        raise BadRequest(f"a version is a number >= 1, not {version!r}")
    return version


def _alias_list(aliases: Any) -> list[str]:
    if isinstance(aliases, str):
        return [aliases]
    if not isinstance(aliases, (list, tuple)):
        raise BadRequest("aliases must be a list of names")
    return list(dict.fromkeys(aliases))


def _names(aliases: Sequence[str]) -> str:
    return ", ".join(repr(a) for a in aliases)


def _source_path(source: Any) -> str | None:
    if isinstance(source, dict):
        source = source.get("path")
    return source if isinstance(source, str) else None
