"""Datasets: a catalog over a DVC repository, versions, browsing, previews, lineage.

Everything the Datasets panel, the REST API and ``dl.dataset`` do goes through
:class:`DatasetService`. It knows nothing of HTTP or IPython; errors are
``PlatformError`` subclasses that name what is wrong.

Where things live:

- the data and its history: the dataset repository (``repo.py``), git + DVC;
- the catalog (description, owner, tags), each version's summary and file
  index (``manifest.py``), and lineage: the platform store.

A version is registered in the store only after its git commit, tag and
``dvc push`` all succeeded; any failure before that rolls the commit and tag
back, so a version either exists everywhere or nowhere.
"""

from __future__ import annotations

import bisect
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ..access import Access, where_visible
from ..errors import BadRequest, Conflict, NotFound, StorageError
from ..pages import Page, check_editable, iso_time
from ..store import Store
from . import manifest, previews, status
from .repo import DatasetRepo, Progress, SourceFile, author_name, no_progress

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_DESCRIPTION = 10_000
MAX_TAGS = 32
DIFF_CACHE = 8
LATEST = "latest"
#: Incoming archives and their staging folders, inside the repository's private folder.
UPLOADS = "uploads"

Changes = Mapping[str, "str | Path | bytes | None"]


class DatasetService:
    """Datasets in the repository at ``repo_dir`` pushed to ``remote``, cataloged in ``store``."""

    def __init__(self, store: Store, repo_dir: Path, remote: str) -> None:
        self.store = store
        self.repo = DatasetRepo(Path(repo_dir), remote)
        self._diffs: OrderedDict[tuple[int, int], list[Any]] = OrderedDict()
        self._diffs_lock = threading.Lock()

    # ------------------------------------------------------------------ catalog

    def list_datasets(
        self,
        q: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """The catalog by name; ``q`` matches name, description and tags (any case);
        with ``visible``, only the datasets that user may read."""
        from sqlalchemy import Text, cast, func, or_, select

        from ..store.models import Dataset, DatasetVersion

        manifest.check_limit(limit)
        state = manifest.decode_cursor(cursor, {"name": str})
        counts = (
            select(
                DatasetVersion.dataset_id,
                func.count(DatasetVersion.id).label("n"),
                func.max(DatasetVersion.id).label("latest"),
            )
            .group_by(DatasetVersion.dataset_id)
            .subquery()
        )
        where: list[Any] = where_visible(visible, Dataset)
        if q:
            needle = q.lower()
            where.append(
                or_(
                    func.lower(Dataset.name).contains(needle, autoescape=True),
                    func.lower(Dataset.description).contains(needle, autoescape=True),
                    func.lower(cast(Dataset.tags, Text)).contains(needle, autoescape=True),
                )
            )
        stmt = (
            select(Dataset, counts.c.n, DatasetVersion)
            .outerjoin(counts, counts.c.dataset_id == Dataset.id)
            .outerjoin(DatasetVersion, DatasetVersion.id == counts.c.latest)
            .where(*where)
        )
        if state is not None:
            stmt = stmt.where(Dataset.name > state["name"])
        with self.store.session() as s:
            found = s.execute(stmt.order_by(Dataset.name).limit(limit + 1)).all()
            total = s.scalar(select(func.count(Dataset.id)).where(*where)) or 0
        items = [_dataset_json(d, n or 0, v) for d, n, v in found[:limit]]
        more = len(found) > limit
        return Page(
            items, manifest.encode_cursor({"name": items[-1]["name"]}) if more else None, total
        )

    def get_dataset(self, name: str) -> dict[str, Any]:
        from sqlalchemy import func, select

        from ..store.models import DatasetVersion

        with self.store.session() as s:
            ds = self._dataset(s, name)
            count = s.scalar(select(func.count()).where(DatasetVersion.dataset_id == ds.id)) or 0
            latest = self._latest(s, ds)
            return _dataset_json(ds, count, latest)

    def update_dataset(self, name: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Edit the catalog entry: ``description``, ``tags``, ``owner``."""
        check_editable(changes, ("description", "tags", "owner"))
        with self.store.session(write=True) as s:
            ds = self._dataset(s, name)
            if "description" in changes:
                ds.description = _check_description(changes["description"])
            if "tags" in changes:
                ds.tags = _check_tags(changes["tags"])
            if "owner" in changes:
                owner = changes["owner"]
                if owner is not None and (not isinstance(owner, str) or len(owner) > 128):
                    raise BadRequest("owner must be a user name of at most 128 characters, or null")
                ds.owner = owner
            ds.updated_at = time.time()
        return self.get_dataset(name)

    # ------------------------------------------------------------- new versions

    def create_dataset(
        self,
        name: str,
        source: str | Path,
        *,
        description: str = "",
        tags: list[str] | None = None,
        owner: str | None = None,
        message: str | None = None,
        tag: str | None = None,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """A new dataset whose first version holds the files of the folder ``source``."""
        name = check_name(name)
        description = _check_description(description)
        tags = _check_tags(tags)
        tag = _check_tag(tag)
        self._must_not_exist(name)
        files = self.repo.scan(Path(source))
        if not files:
            raise BadRequest(f"{source} holds no files; a dataset needs at least one")
        self.repo.ensure()
        author = author_name(author)
        catalog = {"description": description, "tags": tags, "owner": owner or author}
        with self.repo.lock():
            self._must_not_exist(name)
            if (self.repo.root / f"{name}.dvc").exists():
                raise Conflict(
                    f"{name}.dvc is already in the dataset repository {self.repo.root} but not in"
                    " the catalog; register it with dl.datasets.sync()"
                )
            self._make_version(
                name,
                lambda: self.repo.mirror(files, name, progress or no_progress),
                message or f"Create dataset {name}",
                tag,
                author,
                progress or no_progress,
                catalog,
            )
        return self.get_dataset(name)

    def commit(
        self,
        name: str,
        source: str | Path | Changes | None = None,
        *,
        message: str = "",
        tag: str | None = None,
        author: str | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """A new version of ``name``: from a folder (which the version then mirrors), from
        single-file ``{relpath: file | bytes | None}`` changes, or (``None``) from the
        dataset's working folder as it is."""
        tag = _check_tag(tag)
        with self.store.session() as s:
            ds = self._dataset(s, name)
            name = ds.name
            self._tag_free(s, ds, tag)
        files: dict[str, SourceFile] | None = None
        if isinstance(source, (str, Path)):
            files = self.repo.scan(Path(source))
            if not files:
                raise BadRequest(f"{source} holds no files; a version needs at least one")
        elif source is not None and (not isinstance(source, Mapping) or not source):
            raise BadRequest("changes must map relative paths to a file, bytes or None")
        self.repo.ensure()
        report = progress or no_progress

        def prepare() -> None:
            if files is not None:
                self.repo.mirror(files, name, report)
            elif source is not None:
                self.repo.apply(source, name)  # type: ignore[arg-type]
            if not self.repo.scan(self.repo.workdir(name)):
                raise BadRequest(f"a version of {name} needs at least one file")

        with self.repo.lock():
            with self.store.session() as s:
                self._tag_free(s, self._dataset(s, name), tag)
            return self._make_version(
                name, prepare, message or f"Update {name}", tag, author_name(author), report
            )

    # ------------------------------------------------------------------ uploads

    def upload_file(self) -> IO[bytes]:
        """A new, empty file for an incoming archive, on the repository's storage (an
        upload can be as large as a dataset); whoever receives it deletes it."""
        self.repo.ensure()
        folder = self.repo.private_dir / UPLOADS
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(prefix="upload-", dir=folder, delete=False)

    def check_upload(self, name: str, create: bool | None, tag: str | None) -> bool:
        """Refuse an upload before its bytes arrive when it could only fail (a bad name or
        tag, a dataset that exists for ``create=True`` or not for ``create=False``, a tag
        taken); returns whether it would create the dataset."""
        from sqlalchemy import select

        from ..store.models import Dataset

        name = check_name(name)
        tag = _check_tag(tag)
        with self.store.session() as s:
            ds = s.scalar(select(Dataset).where(Dataset.name == name))
            if ds is None:
                if create is False:
                    raise NotFound(f"no dataset named {name!r}")
                return True
            if create is True:
                raise Conflict(f"a dataset named {name!r} exists; commit a new version to it")
            self._tag_free(s, ds, tag)
        return False

    def upload(
        self,
        name: str,
        archive: Path,
        *,
        limit: int,
        create: bool | None = None,
        description: str = "",
        tags: list[str] | None = None,
        owner: str | None = None,
        message: str | None = None,
        tag: str | None = None,
        author: str | None = None,
    ) -> dict[str, Any]:
        """A new dataset, or a new version of ``name``, holding the files of a tar archive.

        The archive is unpacked (every member checked first: see ``archive.unpack``)
        into a private staging folder, which then becomes the version exactly as a
        folder on this machine would, all or nothing. ``create`` True or False insists
        on one of the two; None makes whichever applies. Returns ``{"created",
        "dataset", "version"}``.
        """
        from . import archive as archives

        creating = self.check_upload(name, create, tag)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=self.repo.private_dir / UPLOADS))
        try:
            archives.unpack(archive, staging, limit)
            if creating:
                dataset = self.create_dataset(
                    name,
                    staging,
                    description=description,
                    tags=tags,
                    owner=owner,
                    message=message,
                    tag=tag,
                    author=author,
                )
                version = dataset["latest"]
            else:
                version = self.commit(name, staging, message=message or "", tag=tag, author=author)
                dataset = self.get_dataset(name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return {"created": creating, "dataset": dataset, "version": version}

    def _make_version(
        self,
        name: str,
        prepare: Callable[[], None],
        message: str,
        tag: str | None,
        author: str,
        progress: Progress,
        catalog: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Copy, ``dvc add``, commit, tag, push, then register: all or nothing.

        Runs under the repository lock. ``catalog`` is set for a new dataset.
        """
        from ..store.models import Dataset, DatasetVersion

        head = self.repo.head()
        tag_ref: str | None = None
        registered = False
        try:
            prepare()
            self.repo.scan(self.repo.workdir(name))  # what the user left there is checked too
            progress("hashing", 0, 1)
            tracked = self.repo.add(name)
            progress("hashing", 1, 1)
            if catalog is None:
                with self.store.session() as s:
                    latest = self._latest(s, self._dataset(s, name))
                if latest is not None and latest.hash == tracked.hash:
                    raise Conflict(
                        f"nothing changed: {name} already holds this content as version"
                        f" {_ref(latest)}"
                    )
            walked = status.walk(self.repo.workdir(name))
            sizes = walked.sizes()
            files = manifest.read_dir_object(self.repo.object_path(tracked.hash))
            if {p for p, _ in files} != sizes.keys():
                raise StorageError(
                    f"the folder {self.repo.workdir(name)} changed while DVC was adding it;"
                    " try again when nothing writes to it"
                )
            progress("committing", 0, 1)
            commit = self.repo.commit_paths([f"{name}.dvc", ".gitignore"], message, author)
            if tag:
                tag_ref = self.repo.tag(name, tag, commit.sha)
            progress("committing", 1, 1)
            progress("pushing", 0, 1)
            self.repo.push(name)
            progress("pushing", 1, 1)
            progress("indexing", 0, len(files))
            rows = manifest.rows((p, md5, sizes[p]) for p, md5 in files)
            with self.store.session(write=True) as s:
                if catalog is not None:
                    now = time.time()
                    ds = Dataset(name=name, created_at=now, updated_at=now, **catalog)
                    s.add(ds)
                    s.flush()
                else:
                    ds = self._dataset(s, name)
                    ds.updated_at = time.time()
                version = DatasetVersion(
                    dataset_id=ds.id,
                    commit=commit.sha,
                    tag=tag,
                    message=message,
                    author=author,
                    created_at=commit.time,
                    files=tracked.files,
                    size=tracked.size,
                    hash=tracked.hash,
                    indexed=True,
                )
                s.add(version)
                s.flush()
                manifest.insert(s.connection(), version.id, rows)
                body = _version_json(name, version)
            registered = True
            progress("indexing", len(files), len(files))
        finally:
            if not registered:
                self.repo.rollback(head, tag_ref)
                if catalog is not None:
                    _forget_workdir(self.repo, name)
        # The folder now is the version: the next status check is one walk.
        status.save(self.repo.status_cache(name), tracked.hash, walked)
        return body

    # ----------------------------------------------------------------- versions

    def list_versions(self, name: str, limit: int = 50, cursor: str | None = None) -> Page:
        """Versions of ``name``, newest first."""
        from sqlalchemy import func, select

        from ..store.models import DatasetVersion

        manifest.check_limit(limit)
        state = manifest.decode_cursor(cursor, {"id": int})
        with self.store.session() as s:
            ds = self._dataset(s, name)
            stmt = select(DatasetVersion).where(DatasetVersion.dataset_id == ds.id)
            if state is not None:
                stmt = stmt.where(DatasetVersion.id < state["id"])
            found = s.scalars(stmt.order_by(DatasetVersion.id.desc()).limit(limit + 1)).all()
            total = s.scalar(select(func.count()).where(DatasetVersion.dataset_id == ds.id)) or 0
            items = [_version_json(ds.name, v) for v in found[:limit]]
        more = len(found) > limit
        return Page(
            items, manifest.encode_cursor({"id": found[limit - 1].id}) if more else None, total
        )

    def get_version(self, name: str, ref: str = LATEST) -> dict[str, Any]:
        with self.store.session() as s:
            ds, version = self._version(s, name, ref)
            return _version_json(ds.name, version)

    # ------------------------------------------------------------------- browse

    def tree(
        self,
        name: str,
        ref: str = LATEST,
        path: str = "",
        sort: str = "name",
        order: str = "asc",
        limit: int = 200,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """One page of a folder of a version: sub-folders first, then files."""
        folder = manifest.relpath(path, "path", allow_root=True)
        with self._browse(name, ref) as (s, ds, version):
            conn = s.connection()
            if folder:
                row = manifest.lookup(conn, version.id, folder)
                if row is None:
                    raise NotFound(f"{_label(ds, version)} has no folder {folder!r}")
                if not row.is_dir:
                    raise BadRequest(f"{folder!r} in {_label(ds, version)} is a file, not a folder")
            items, next_cursor, total = manifest.list_dir(
                conn, version.id, folder, sort, order, limit, cursor
            )
            return {
                "dataset": ds.name,
                "version": _ref(version),
                "path": folder,
                "items": items,
                "next_cursor": next_cursor,
                "total": total,
            }

    def files(
        self,
        name: str,
        ref: str = LATEST,
        prefix: str = "",
        limit: int = 1000,
        cursor: str | None = None,
    ) -> Page:
        """Every file whose path starts with ``prefix``, in path order, paged."""
        if not isinstance(prefix, str) or ".." in prefix.split("/") or prefix.startswith("/"):
            raise BadRequest(f"prefix {prefix!r} must be relative, without '..'")
        with self._browse(name, ref) as (s, _, version):
            items, next_cursor = manifest.list_files(
                s.connection(), version.id, prefix, limit, cursor
            )
        return Page(items, next_cursor)

    def manifest(
        self, name: str, ref: str = LATEST
    ) -> tuple[dict[str, Any], list[tuple[str, str, int]]]:
        """A version and all its files as ``(path, md5, size)``, in path order."""
        with self._browse(name, ref) as (s, ds, version):
            table = manifest.file_table(s.connection(), version.id)
            body = _version_json(ds.name, version)
        return body, sorted((p, md5, size) for p, (md5, size) in table.items())

    def file_info(self, name: str, ref: str, path: str) -> dict[str, Any]:
        """A file's (or folder's) metadata: size, md5, type, what its preview would be."""
        path = manifest.relpath(path)
        with self._browse(name, ref) as (s, ds, version):
            row = manifest.lookup(s.connection(), version.id, path)
            if row is None:
                raise NotFound(f"{_label(ds, version)} has no file {path!r}")
            body = {"dataset": ds.name, "version": _ref(version), **manifest.entry_json(row)}
        if not row.is_dir:
            body["mime_type"] = previews.mime_type(path)
            body["preview"] = previews.kind_of(path)
        return body

    def open_file(self, name: str, ref: str, path: str) -> tuple[Path, dict[str, Any]]:
        """The cached content of a file (fetched from the remote when missing) and its
        metadata; the path is DVC's cache object, named by md5, never a user path."""
        info = self.file_info(name, ref, path)
        if info["type"] != "file":
            raise BadRequest(f"{info['path']!r} is a folder; download its files one by one")
        return self._object(info["dataset"], info["version"], [info["md5"]])[0], info

    def preview(
        self, name: str, ref: str, path: str, options: previews.Options | None = None
    ) -> dict[str, Any]:
        file, info = self.open_file(name, ref, path)
        return previews.preview(file, info["path"], info["size"], options)

    def thumbnail(self, name: str, ref: str, path: str, edge: int = 256) -> tuple[bytes, str]:
        """Image bytes of at most ``edge`` pixels a side, for grids of images."""
        previews.Options(size=edge).checked()
        file, info = self.open_file(name, ref, path)
        if info["preview"] != "image":
            raise BadRequest(f"{info['path']!r} is not an image")
        data, kind, _ = previews.thumbnail(file, info["path"], info["size"], edge)
        return data, kind

    def checkout(self, name: str, ref: str = LATEST) -> Path:
        """A read-only folder holding the version, shared by everyone (``ds.path``)."""
        version, files = self.manifest(name, ref)
        target = self.repo.checkout_dir(name, version["hash"])
        if not target.is_dir():
            self._object(name, version["ref"], [md5 for _, md5, _ in files])
            target = self.repo.materialise(name, version["hash"], [(p, m) for p, m, _ in files])
        return target

    def object_paths(self, name: str, ref: str, files: Sequence[tuple[str, str]]) -> list[Path]:
        """Where the contents of files of a version (``(path, md5)`` pairs) can be read:
        DVC's cache, fetched from the remote when missing."""
        return self._object(name, ref, [md5 for _, md5 in files])

    def diff(
        self,
        name: str,
        from_ref: str,
        to_ref: str = LATEST,
        change: str | None = None,
        limit: int = 200,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        """What changed from one version to another: added, removed, modified files."""
        if change is not None and change not in manifest.CHANGES:
            raise BadRequest(f"change must be one of {', '.join(manifest.CHANGES)}")
        manifest.check_limit(limit)
        state = manifest.decode_cursor(cursor, {"path": str})
        with self._browse(name, from_ref), self._browse(name, to_ref):
            pass  # both indexed
        with self.store.session() as s:
            ds, old = self._version(s, name, from_ref)
            _, new = self._version(s, name, to_ref)
            changes = self._changes(s, old, new)
            body: dict[str, Any] = {
                "dataset": ds.name,
                "from": _ref(old),
                "to": _ref(new),
                "summary": dict.fromkeys(manifest.CHANGES, 0),
            }
        for _, kind, _, _ in changes:
            body["summary"][kind] += 1
        selected = [c for c in changes if c[1] == change] if change else changes
        start = bisect.bisect_right(selected, (state["path"], "~")) if state else 0
        page = selected[start : start + limit]
        body["items"] = [
            {
                "path": path,
                "change": kind,
                "from": {"md5": before[0], "size": before[1]} if before else None,
                "to": {"md5": after[0], "size": after[1]} if after else None,
            }
            for path, kind, before, after in page
        ]
        more = start + limit < len(selected)
        body["next_cursor"] = manifest.encode_cursor({"path": page[-1][0]}) if more else None
        return body

    def status(self, name: str, limit: int = 100) -> dict[str, Any]:
        """Whether the dataset's working folder still holds its latest version."""
        with self.store.session() as s:
            ds = self._dataset(s, name)
            version = self._latest(s, ds)
            if version is None:
                raise NotFound(f"dataset {name!r} has no versions yet")
            version_id, ref, dir_hash = version.id, _ref(version), version.hash

        def known() -> dict[str, tuple[str, int]]:
            with self.store.session() as s:
                return manifest.file_table(s.connection(), version_id)

        workdir = self.repo.workdir(ds.name)
        result = status.check(workdir, self.repo.status_cache(ds.name), dir_hash, known)
        return {
            "dataset": ds.name,
            "version": ref,
            "workdir": str(workdir),
            **status.describe(result, limit),
        }

    # ------------------------------------------------------------------ lineage

    def record_usage(self, run_id: str, name: str, ref: str = LATEST) -> dict[str, Any]:
        """Remember that run ``run_id`` used a version (once; later calls change nothing)."""
        from ..store.models import DatasetUsage, Run

        with self.store.session(write=True) as s:
            if not isinstance(run_id, str) or s.get(Run, run_id) is None:
                raise NotFound(f"no run with id {run_id!r}")
            ds, version = self._version(s, name, ref)
            usage = s.get(DatasetUsage, (run_id, version.id))
            if usage is None:
                usage = DatasetUsage(run_id=run_id, version_id=version.id, used_at=time.time())
                s.add(usage)
            return _usage_json(ds.name, version, usage.used_at)

    def runs_using(
        self,
        name: str,
        ref: str = LATEST,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """Runs that used a version, most recent use first (with ``visible``, those in
        projects that user may read)."""
        from sqlalchemy import select, tuple_

        from ..store.models import DatasetUsage, Project, Run

        manifest.check_limit(limit)
        state = manifest.decode_cursor(cursor, {"at": (int, float), "run": str})
        with self.store.session() as s:
            _, version = self._version(s, name, ref)
            stmt = (
                select(Run, Project.name, DatasetUsage.used_at)
                .join(DatasetUsage, DatasetUsage.run_id == Run.id)
                .join(Project, Project.id == Run.project_id)
                .where(DatasetUsage.version_id == version.id, *where_visible(visible, Project))
            )
            if state is not None:
                stmt = stmt.where(
                    tuple_(DatasetUsage.used_at, Run.id) < tuple_(state["at"], state["run"])
                )
            found = s.execute(
                stmt.order_by(DatasetUsage.used_at.desc(), Run.id.desc()).limit(limit + 1)
            ).all()
            items = [
                {
                    "id": run.id,
                    "project": project,
                    "name": run.name,
                    "status": run.status,
                    "created_at": iso_time(run.created_at),
                    "used_at": iso_time(used_at),
                }
                for run, project, used_at in found[:limit]
            ]
        next_cursor = None
        if len(found) > limit:
            run, _, used_at = found[limit - 1]
            next_cursor = manifest.encode_cursor({"at": used_at, "run": run.id})
        return Page(items, next_cursor)

    def datasets_of_run(
        self,
        run_id: str,
        limit: int = 50,
        cursor: str | None = None,
        visible: Access | None = None,
    ) -> Page:
        """The dataset versions a run used, in the order it used them (with ``visible``,
        those of datasets that user may read)."""
        from sqlalchemy import select, tuple_

        from ..store.models import Dataset, DatasetUsage, DatasetVersion, Run

        manifest.check_limit(limit)
        state = manifest.decode_cursor(cursor, {"at": (int, float), "version": int})
        with self.store.session() as s:
            if s.get(Run, run_id) is None:
                raise NotFound(f"no run with id {run_id!r}")
            stmt = (
                select(Dataset.name, DatasetVersion, DatasetUsage.used_at)
                .join(DatasetVersion, DatasetVersion.id == DatasetUsage.version_id)
                .join(Dataset, Dataset.id == DatasetVersion.dataset_id)
                .where(DatasetUsage.run_id == run_id, *where_visible(visible, Dataset))
            )
            if state is not None:
                stmt = stmt.where(
                    tuple_(DatasetUsage.used_at, DatasetUsage.version_id)
                    > tuple_(state["at"], state["version"])
                )
            found = s.execute(
                stmt.order_by(DatasetUsage.used_at, DatasetUsage.version_id).limit(limit + 1)
            ).all()
            items = [_usage_json(n, v, at) for n, v, at in found[:limit]]
        next_cursor = None
        if len(found) > limit:
            _, version, used_at = found[limit - 1]
            next_cursor = manifest.encode_cursor({"at": used_at, "version": version.id})
        return Page(items, next_cursor)

    # --------------------------------------------------------------------- sync

    def sync(self) -> list[dict[str, Any]]:
        """Register versions committed to the repository by other means (the ``dvc`` and
        ``git`` command lines): each commit that changed a top-level ``<name>.dvc``.

        Their file index is built when they are first browsed.
        """
        from sqlalchemy import select

        from ..store.models import Dataset, DatasetVersion

        self.repo.ensure()
        found: list[dict[str, Any]] = []
        with self.repo.lock():
            log = self.repo.git(
                "log", "--reverse", "--format=%x1e%H%x1f%ct%x1f%an%x1f%s", "--name-only",
                "--diff-filter=AM", "--", "*.dvc",
            )  # fmt: skip
            tags = self._git_tags()
            for record in log.split("\x1e")[1:]:
                head, _, names = record.partition("\n")
                sha, when, author, subject = head.split("\x1f")
                for dvc_file in names.split():
                    name = dvc_file.removesuffix(".dvc")
                    if "/" in dvc_file or not NAME.match(name):
                        continue
                    tracked = self._tracked_at(sha, dvc_file)
                    if tracked is None:
                        continue
                    with self.store.session(write=True) as s:
                        ds = s.scalar(select(Dataset).where(Dataset.name == name))
                        if ds is None:
                            now = time.time()
                            ds = Dataset(
                                name=name, owner=author, description="", tags=[],
                                created_at=now, updated_at=now,
                            )  # fmt: skip
                            s.add(ds)
                            s.flush()
                        known = s.scalar(
                            select(DatasetVersion).where(
                                DatasetVersion.dataset_id == ds.id, DatasetVersion.commit == sha
                            )
                        )
                        if known is not None:
                            continue
                        tag = tags.get((name, sha))
                        taken = tag and s.scalar(
                            select(DatasetVersion.id).where(
                                DatasetVersion.dataset_id == ds.id, DatasetVersion.tag == tag
                            )
                        )
                        version = DatasetVersion(
                            dataset_id=ds.id,
                            commit=sha,
                            tag=None if taken else tag,
                            message=subject,
                            author=author,
                            created_at=float(when),
                            files=tracked[1],
                            size=tracked[2],
                            hash=tracked[0],
                            indexed=False,
                        )
                        s.add(version)
                        s.flush()
                        found.append(_version_json(name, version))
        return found

    def _git_tags(self) -> dict[tuple[str, str], str]:
        """``(dataset, commit) -> tag`` of the ``<dataset>/<tag>`` tags."""
        out = self.repo.git("tag", "--list", "--format=%(refname:short) %(objectname)", "*/*")
        tags: dict[tuple[str, str], str] = {}
        for line in out.splitlines():
            ref, _, sha = line.partition(" ")
            name, _, tag = ref.partition("/")
            if TAG.match(tag):
                tags[(name, sha)] = tag
        return tags

    def _tracked_at(self, sha: str, dvc_file: str) -> tuple[str, int, int] | None:
        from dvc.utils.serialize import parse_yaml

        try:
            data = parse_yaml(self.repo.git("show", f"{sha}:{dvc_file}"), dvc_file)
            out = data["outs"][0]
            if not str(out["md5"]).endswith(".dir"):
                return None  # a single tracked file, not a dataset folder
            return str(out["md5"]), int(out.get("nfiles", 0)), int(out.get("size", 0))
        except Exception:  # a .dvc file DVC cannot parse is not a dataset version
            return None

    # ---------------------------------------------------------------- internals

    def _dataset(self, s: Any, name: str) -> Any:
        from sqlalchemy import select

        from ..store.models import Dataset

        if not isinstance(name, str) or not NAME.match(name):
            raise NotFound(f"no dataset named {name!r}")
        ds = s.scalar(select(Dataset).where(Dataset.name == name))
        if ds is None:
            raise NotFound(f"no dataset named {name!r}")
        return ds

    def _must_not_exist(self, name: str) -> None:
        from sqlalchemy import select

        from ..store.models import Dataset

        with self.store.session() as s:
            if s.scalar(select(Dataset.id).where(Dataset.name == name)) is not None:
                raise Conflict(f"a dataset named {name!r} exists; commit a new version to it")

    def _tag_free(self, s: Any, ds: Any, tag: str | None) -> None:
        from sqlalchemy import select

        from ..store.models import DatasetVersion

        if tag is None:
            return
        taken = s.scalar(
            select(DatasetVersion).where(
                DatasetVersion.dataset_id == ds.id, DatasetVersion.tag == tag
            )
        )
        if taken is not None:
            raise Conflict(f"{ds.name} already has a version tagged {tag!r} ({taken.commit[:10]})")

    def _latest(self, s: Any, ds: Any) -> Any:
        from sqlalchemy import select

        from ..store.models import DatasetVersion

        return s.scalar(
            select(DatasetVersion)
            .where(DatasetVersion.dataset_id == ds.id)
            .order_by(DatasetVersion.id.desc())
            .limit(1)
        )

    def _version(self, s: Any, name: str, ref: Any) -> tuple[Any, Any]:
        """Dataset and version for a ref: ``latest``, a tag, or a (short) commit id."""
        from sqlalchemy import select

        from ..store.models import DatasetVersion

        ds = self._dataset(s, name)
        if ref in (None, "", LATEST):
            version = self._latest(s, ds)
            if version is None:
                raise NotFound(f"dataset {ds.name!r} has no versions yet")
            return ds, version
        if not isinstance(ref, str) or len(ref) > 64:
            raise NotFound(f"dataset {ds.name!r} has no version {ref!r}")
        version = s.scalar(
            select(DatasetVersion).where(
                DatasetVersion.dataset_id == ds.id, DatasetVersion.tag == ref
            )
        )
        if version is not None:
            return ds, version
        if re.fullmatch(r"[0-9a-f]{4,40}", ref):
            found = s.scalars(
                select(DatasetVersion)
                .where(DatasetVersion.dataset_id == ds.id, DatasetVersion.commit.startswith(ref))
                .limit(2)
            ).all()
            if len(found) == 1:
                return ds, found[0]
            if len(found) > 1:
                raise BadRequest(f"{ref!r} matches several versions of {ds.name}; give more digits")
        raise NotFound(
            f"dataset {ds.name!r} has no version {ref!r}; name a version by its tag (v1), its"
            " commit id or latest"
        )

    @contextmanager
    def _browse(self, name: str, ref: Any) -> Iterator[tuple[Any, Any, Any]]:
        """A read transaction on a version whose file index exists (built first if not)."""
        with self.store.session() as s:
            ds, version = self._version(s, name, ref)
            ready = version.indexed
            if ready:
                yield s, ds, version
        if not ready:
            # Indexed in transactions of its own, then read in a new one that sees the rows.
            self._index(ds.name, version)
            with self.store.session() as s:
                ds, version = self._version(s, name, ref)
                yield s, ds, version

    def _index(self, name: str, version: Any) -> None:
        """Build the file index of a version registered without one, from DVC's manifest."""
        from sqlalchemy import update

        from ..store.models import DatasetVersion

        dir_object = self.repo.object_path(version.hash)
        if not dir_object.is_file():
            self.repo.fetch([version.hash])
        try:
            files = manifest.read_dir_object(dir_object)
        except (OSError, ValueError) as e:
            raise StorageError(
                f"cannot read the file list of {name}@{_ref(version)}: {e}"
            ) from None
        self._object(name, version.commit, [md5 for _, md5 in files])
        sized = [(p, md5, self.repo.object_path(md5).stat().st_size) for p, md5 in files]
        with self.store.session(write=True) as w:
            claimed: Any = w.execute(
                update(DatasetVersion)
                .where(DatasetVersion.id == version.id, ~DatasetVersion.indexed)
                .values(indexed=True)
            )
            if claimed.rowcount:  # another process may have indexed it meanwhile
                manifest.insert(w.connection(), version.id, manifest.rows(sized))

    def _object(self, name: str, ref: str, md5s: list[str]) -> list[Path]:
        paths = [self.repo.object_path(m) for m in md5s]
        missing = [m for m, p in zip(md5s, paths, strict=True) if not p.is_file()]
        if not missing:
            return paths
        self.repo.fetch(missing)
        missing = [m for m, p in zip(md5s, paths, strict=True) if not p.is_file()]
        if missing:
            raise StorageError(
                f"{len(missing)} file(s) of {name}@{ref} are in neither the DVC cache of"
                f" {self.repo.root} nor the remote {self.repo.remote}"
            )
        return paths

    def _changes(self, s: Any, old: Any, new: Any) -> list[Any]:
        key = (old.id, new.id)
        with self._diffs_lock:
            if key in self._diffs:
                self._diffs.move_to_end(key)
                return self._diffs[key]
        if old.hash == new.hash:
            changes: list[Any] = []
        else:
            conn = s.connection()
            changes = manifest.diff(
                manifest.file_table(conn, old.id), manifest.file_table(conn, new.id)
            )
        with self._diffs_lock:
            self._diffs[key] = changes
            while len(self._diffs) > DIFF_CACHE:
                self._diffs.popitem(last=False)
        return changes


# ------------------------------------------------------------------- checks


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.match(name) or name.endswith(".dvc") or ".." in name:
        raise BadRequest(
            f"dataset name {name!r} must be 1-64 letters, digits, '.', '_' or '-', starting"
            " with a letter or digit"
        )
    return name


def _check_tag(tag: Any) -> str | None:
    if tag is None or tag == "":
        return None
    if (
        not isinstance(tag, str)
        or not TAG.match(tag)
        or tag == LATEST
        or ".." in tag
        or tag.endswith(".lock")
    ):
        raise BadRequest(
            f"tag {tag!r} must be 1-64 letters, digits, '.', '_' or '-' (like v1), and not"
            f" {LATEST!r}"
        )
    return tag


def _check_description(description: Any) -> str:
    if description is None:
        return ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise BadRequest(f"description must be text of at most {MAX_DESCRIPTION} characters")
    return description


def _check_tags(tags: Any) -> list[str]:
    if tags is None:
        return []
    if (
        not isinstance(tags, (list, tuple))
        or len(tags) > MAX_TAGS
        or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in tags)
    ):
        raise BadRequest(f"tags must be a list of at most {MAX_TAGS} strings of 1-64 characters")
    return list(dict.fromkeys(tags))


# ------------------------------------------------------------------- JSON


def _ref(version: Any) -> str:
    """How a version is named in URLs: its tag, else its short commit id."""
    return str(version.tag or version.commit[:10])


def _label(ds: Any, version: Any) -> str:
    return f"{ds.name}@{_ref(version)}"


def _version_json(name: str, version: Any) -> dict[str, Any]:
    return {
        "dataset": name,
        "ref": _ref(version),
        "commit": version.commit,
        "tag": version.tag,
        "message": version.message,
        "author": version.author,
        "created_at": iso_time(version.created_at),
        "files": version.files,
        "size": version.size,
        "hash": version.hash,
    }


def _dataset_json(ds: Any, versions: int, latest: Any) -> dict[str, Any]:
    return {
        "name": ds.name,
        "description": ds.description,
        "owner": ds.owner,
        "group": ds.group_name,
        "group_access": ds.group_access,
        "tags": ds.tags,
        "created_at": iso_time(ds.created_at),
        "updated_at": iso_time(ds.updated_at),
        "versions": versions,
        "latest": _version_json(ds.name, latest) if latest is not None else None,
    }


def _usage_json(name: str, version: Any, used_at: float) -> dict[str, Any]:
    return {
        "dataset": name,
        "version": _ref(version),
        "commit": version.commit,
        "tag": version.tag,
        "hash": version.hash,
        "used_at": iso_time(used_at),
    }


def _forget_workdir(repo: DatasetRepo, name: str) -> None:
    """After a failed first version, leave no trace of the dataset in the repository."""
    import shutil

    shutil.rmtree(repo.workdir(name), ignore_errors=True)
    (repo.root / f"{name}.dvc").unlink(missing_ok=True)
    repo.status_cache(name).unlink(missing_ok=True)
