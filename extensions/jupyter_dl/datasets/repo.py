"""The dataset repository: git records versions, DVC stores the data.

One repository (on shared storage for a team) holds every dataset as a folder
tracked by DVC (``<name>/`` with its ``<name>.dvc`` file committed to git); a
version is the commit that changed ``<name>.dvc``, tagged ``<name>/<tag>`` when
it has a tag. DVC's cache (``.dvc/cache``) is shared by everyone using the
repository, and a DVC remote holds a second copy of every version.

Everything that touches git or DVC is here, so the service reads like the
operations it performs. DVC is used through its Python API (``dvc.repo.Repo``),
imported on first use; git through its command line. The repository's own
private state (the commit lock, stat caches, read-only checkouts) lives in
``.jupyter-dl/``, ignored by git.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadRequest, Conflict, StorageError
from . import status
from .manifest import relpath

REMOTE_NAME = "jupyter-dl"
PRIVATE = ".jupyter-dl"
GIT_TIMEOUT = 300
LOCK_TIMEOUT = 600

#: ``(stage, done, total)``: what a long operation reports as it goes.
Progress = Callable[[str, int, int], None]

log = logging.getLogger("jupyter_dl.datasets")


def no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class TrackedDir:
    """What ``dvc add`` recorded for a folder."""

    hash: str  # "<md5>.dir"
    files: int
    size: int


@dataclass(frozen=True)
class Commit:
    sha: str
    time: float


@dataclass(frozen=True)
class SourceFile:
    """A file to put in a dataset: where it comes from, and its stat."""

    path: str  # the absolute path to copy from
    size: int
    mtime_ns: int


def author_name(explicit: str | None = None) -> str:
    """Who a version is by: the caller, the hub user, the OS user, else ``jupyter-dl``."""
    for name in (explicit, os.environ.get("JUPYTERHUB_USER")):
        if name and name.strip():
            return _clean_identity(name)
    try:
        return _clean_identity(getpass.getuser()) or "jupyter-dl"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "jupyter-dl"


def _clean_identity(name: str) -> str:
    return re.sub(r"[<>\n\r\x00]", "", name).strip()[:128]


class DatasetRepo:
    """The git + DVC repository at ``root``, pushing to ``remote`` (a URL or a folder)."""

    def __init__(self, root: Path, remote: str) -> None:
        self.root = Path(root)
        self.remote = remote
        self._ready = False
        self._init_lock = threading.Lock()

    # ------------------------------------------------------------------ places

    @property
    def cache_dir(self) -> Path:
        return self.root / ".dvc" / "cache" / "files" / "md5"

    @property
    def private_dir(self) -> Path:
        return self.root / PRIVATE

    def workdir(self, name: str) -> Path:
        """The dataset's working folder: what the next version is made from."""
        return self.root / name

    def object_path(self, md5: str) -> Path:
        """Where DVC's cache keeps the content with this md5."""
        return self.cache_dir / md5[:2] / md5[2:]

    def status_cache(self, name: str) -> Path:
        return self.private_dir / "status" / name

    def checkout_dir(self, name: str, dir_hash: str) -> Path:
        return self.private_dir / "checkouts" / name / dir_hash.removesuffix(".dir")

    # ------------------------------------------------------------------ set-up

    def ensure(self) -> None:
        """Create the repository on first use and point DVC at the configured remote."""
        if self._ready:
            return
        with self._init_lock:
            if self._ready:
                return
            try:
                self.private_dir.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(
                    f"cannot create the dataset repository at {self.root} ({e.strerror})."
                    " Set c.JupyterDL.datasets_dir (or $JUPYTER_DL_DATASETS_DIR) to a"
                    " writable folder"
                ) from None
            with self.lock():
                self._init()
            self._ready = True

    def _init(self) -> None:
        if not (self.root / ".git").exists():
            self.git("init", "-q", "--initial-branch=main")
        dvc = _dvc()
        if not (self.root / ".dvc").exists():
            dvc.Repo.init(str(self.root))
            with dvc.Repo(str(self.root)) as repo, repo.config.edit() as conf:
                conf["core"]["analytics"] = False
                conf["core"]["check_update"] = False
        ignore = self.root / ".gitignore"
        lines = ignore.read_text().splitlines() if ignore.exists() else []
        if f"/{PRIVATE}/" not in lines:
            ignore.write_text("\n".join([f"/{PRIVATE}/", *lines]) + "\n")
        self._configure_remote()
        if self.head() is None:
            self.git("add", "--", ".gitignore", ".dvc/config", ".dvc/.gitignore", ".dvcignore")
            self.commit_paths(
                [".gitignore", ".dvc/config", ".dvc/.gitignore", ".dvcignore"],
                "Dataset repository",
                "jupyter-dl",
            )

    def _configure_remote(self) -> None:
        """Name the remote in ``.dvc/config.local`` (never committed) for people using the
        ``dvc`` command line in the repository, if they have not chosen one. The platform
        itself always pushes to the remote of its own setting (see ``_open``)."""
        dvc = _dvc()
        with dvc.Repo(str(self.root)) as repo:
            current = repo.config.load_one("local")
            if current.get("core", {}).get("remote"):
                return
            with repo.config.edit(level="local") as conf:
                conf["remote"][REMOTE_NAME] = {"url": self.remote}
                conf["core"]["remote"] = REMOTE_NAME

    @contextmanager
    def _open(self) -> Iterator[Any]:
        """``dvc.repo.Repo`` of this repository, its remote set from our configuration."""
        dvc = _dvc()
        settings = {"remote": {REMOTE_NAME: {"url": self.remote}}, "core": {"remote": REMOTE_NAME}}
        with dvc.Repo(str(self.root), config=settings) as repo:
            yield repo

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Held while a version is made: one commit at a time, across processes."""
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(self.private_dir / "lock"), timeout=LOCK_TIMEOUT):
                yield
        except Timeout:
            raise Conflict(
                f"another version is being made in {self.root} and has held its lock for"
                f" {LOCK_TIMEOUT} s; try again later"
            ) from None

    # -------------------------------------------------------------------- git

    def git(self, *args: str, author: str = "jupyter-dl") -> str:
        """Run git in the repository; a failure is a ``StorageError`` with git's words."""
        email = f"{re.sub(r'[^A-Za-z0-9._-]', '_', author)}@{socket.gethostname() or 'localhost'}"
        env = {
            **os.environ,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_AUTHOR_NAME": author,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": author,
            "GIT_COMMITTER_EMAIL": email,
        }
        command = [
            "git",
            "-c",
            f"safe.directory={self.root}",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "commit.gpgSign=false",
            "-c",
            "tag.gpgSign=false",
            *args,
        ]
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                env=env,
                capture_output=True,
                text=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as e:
            raise StorageError(f"git {args[0]} failed in {self.root}: {e}") from None
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise StorageError(
                f"git {args[0]} failed in {self.root}: {reason[-1] if reason else done.returncode}"
            )
        return done.stdout

    def head(self) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "-q", "HEAD").strip() or None
        except StorageError:
            return None

    def commit_paths(self, paths: list[str], message: str, author: str) -> Commit:
        """Commit exactly ``paths`` (whatever else is staged stays out)."""
        self.git("add", "--", *paths)
        self.git(
            "commit", "-q", "--allow-empty-message", "-m", message, "--", *paths, author=author
        )
        sha, _, when = self.git("log", "-1", "--format=%H %ct").strip().partition(" ")
        return Commit(sha, float(when))

    def tag(self, name: str, tag: str, sha: str) -> str:
        ref = f"{name}/{tag}"
        self.git("tag", "--", ref, sha)
        return ref

    def rollback(self, head: str | None, tag_ref: str | None) -> None:
        """Undo a version that could not be completed: its tag, its commit, its ``.dvc``."""
        if tag_ref:
            _quietly(lambda: self.git("tag", "-d", "--", tag_ref))
        if head:
            _quietly(lambda: self.git("reset", "-q", "--hard", head))

    def git_time(self, sha: str) -> float:
        return float(self.git("log", "-1", "--format=%ct", sha).strip())

    # -------------------------------------------------------------------- DVC

    def add(self, name: str) -> TrackedDir:
        """``dvc add <name>``: hash the folder, copy new content into the cache."""
        try:
            with self._open() as repo:
                stage = repo.add([str(self.workdir(name))])[0]
        except Exception as e:
            raise StorageError(f"DVC could not add {name} in {self.root}: {e}") from e
        out = stage.outs[0]
        return TrackedDir(str(out.hash_info.value), int(out.meta.nfiles), int(out.meta.size))

    def push(self, name: str) -> int:
        """``dvc push <name>.dvc`` to the configured remote; returns files transferred."""
        try:
            with self._open() as repo:
                return int(
                    repo.push(targets=[str(self.root / f"{name}.dvc")], remote=REMOTE_NAME) or 0
                )
        except Exception as e:
            raise StorageError(
                f"pushing {name} to the DVC remote {self.remote} failed ({_reason(e)}); no version"
                " was made. Check c.JupyterDL.dataset_remote (or $JUPYTER_DL_DATASETS_REMOTE)"
            ) from e

    def fetch(self, hashes: list[str]) -> None:
        """Copy contents (by md5, ``.dir`` manifests included) from the remote into the cache."""
        from dvc_data.hashfile.hash_info import HashInfo

        self.ensure()
        try:
            # DVC's own repository lock refuses a second operation at once; ours waits.
            with self.lock(), self._open() as repo:
                result = repo.cloud.pull([HashInfo("md5", h) for h in hashes], remote=REMOTE_NAME)
        except Exception as e:
            raise StorageError(
                f"cannot fetch from the DVC remote {self.remote}: {_reason(e)}"
            ) from e
        if result.failed:
            raise StorageError(
                f"{len(result.failed)} file(s) are missing from the DVC remote {self.remote}"
            )

    # ------------------------------------------------------------ source files

    def scan(self, folder: Path) -> dict[str, SourceFile]:
        """The files a version would hold (see :func:`scan`)."""
        return scan(folder)

    def mirror(self, files: Mapping[str, SourceFile], name: str, progress: Progress) -> None:
        """Make the working folder hold exactly ``files``: copy what differs (by size and
        mtime), delete what is gone. Copies keep their mtime, so the next mirror of the
        same source copies nothing."""
        dest = self.workdir(name)
        dest.mkdir(parents=True, exist_ok=True)
        present = {p: (s, m) for p, s, m in status.walk(dest).entries()}
        for path in present.keys() - files.keys():
            (dest / path).unlink()
        _prune_empty(dest, {p.rpartition("/")[0] for p in files})
        todo = [p for p, f in files.items() if present.get(p) != (f.size, f.mtime_ns)]
        for done, path in enumerate(sorted(todo), 1):
            target = dest / path
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists() or target.is_symlink():
                target.unlink()  # never write through a link into DVC's cache
            shutil.copy2(files[path].path, target)
            if done % 200 == 0 or done == len(todo):
                progress("copying", done, len(todo))

    def apply(
        self, changes: Mapping[str, str | os.PathLike[str] | bytes | None], name: str
    ) -> None:
        """Change single files of the working folder: a path (copied), bytes (written) or
        None (deleted) per relative path."""
        apply_changes(self.workdir(name), changes)

    # -------------------------------------------------------------- checkouts

    def materialise(self, name: str, dir_hash: str, files: list[tuple[str, str]]) -> Path:
        """A read-only folder with a version's files, linked from the cache (no copy on the
        same file system), built once per content hash and shared by everyone."""
        target = self.checkout_dir(name, dir_hash)
        if target.is_dir():
            return target
        return link_folder(target, [(path, self.object_path(md5)) for path, md5 in files])


def link_folder(target: Path, files: list[tuple[str, Path]]) -> Path:
    """A read-only folder of ``files`` (relative path, cached content), hard-linked (copied
    where links fail), that appears whole: built aside, then renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        folders: set[Path] = set()
        for path, source in files:
            dest = building / path
            if dest.parent not in folders:
                dest.parent.mkdir(parents=True, exist_ok=True)
                folders.add(dest.parent)
            try:
                os.link(source, dest)
            except OSError:
                shutil.copyfile(source, dest)
                os.chmod(dest, 0o444)
        for folder in sorted(folders | {building}, key=lambda p: -len(p.parts)):
            os.chmod(folder, 0o555)
        try:
            os.rename(building, target)
        except OSError:
            if not target.is_dir():
                raise
            _remove_tree(building)  # built at the same time elsewhere
    except BaseException:
        _remove_tree(building)
        raise
    return target


def scan(folder: Path) -> dict[str, SourceFile]:
    """The files a version would hold, checked before anything is copied or added.

    Symlinks are followed only to files inside ``folder``; a link leading out of
    it, a linked folder, or a special file (pipe, device) is a 400 naming it.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BadRequest(f"{folder} is not a folder")
    top = os.path.realpath(folder)
    found: dict[str, SourceFile] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(os.path.join(top, rel) if rel else top) as it:
            entries = list(it)
        for e in entries:
            if e.name in status.IGNORED:
                continue
            path = rel + e.name
            try:
                relpath(path)
            except BadRequest as err:
                raise BadRequest(f"cannot put {path!r} in a dataset: {err.message}") from None
            if e.is_symlink():
                target = os.path.realpath(e.path)
                if os.path.commonpath([top, target]) != top:
                    raise BadRequest(
                        f"{path} is a symlink to {target}, outside {folder}; a dataset only"
                        " holds files from inside its folder"
                    )
                if os.path.isdir(target):
                    raise BadRequest(f"{path} is a symlink to a folder; copy the folder instead")
                if not os.path.isfile(target):
                    raise BadRequest(f"{path} is a broken symlink")
                st = os.stat(target)
                found[path] = SourceFile(target, st.st_size, st.st_mtime_ns)
            elif e.is_dir(follow_symlinks=False):
                stack.append(path + "/")
            elif e.is_file(follow_symlinks=False):
                st = e.stat(follow_symlinks=False)
                found[path] = SourceFile(e.path, st.st_size, st.st_mtime_ns)
            else:
                raise BadRequest(f"{path} is not a regular file (a pipe, socket or device)")
    return found


def _dvc() -> Any:
    """``dvc`` and ``dvc.repo``, imported on first use (they take a third of a second)."""
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    import dvc.repo

    # DVC logs "To track the changes with git, run: ..." to stdout; we do that for the user.
    logging.getLogger("dvc").setLevel(logging.WARNING)
    return dvc.repo


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _quietly(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception as e:
        log.warning("jupyter-dl: rolling back a dataset version: %s", e)


def _prune_empty(root: Path, keep: set[str]) -> None:
    """Remove folders below ``root`` that are empty and hold no file to come."""
    needed = {""}
    for folder in keep:
        while folder and folder not in needed:
            needed.add(folder)
            folder = folder.rpartition("/")[0]
    for path, _, _ in os.walk(root, topdown=False):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        if rel == ".":
            continue
        if rel not in needed and not os.listdir(path):
            os.rmdir(path)


def _remove_tree(path: Path) -> None:
    def writable(fn: Any, p: str, _: Any) -> None:
        os.chmod(p, stat.S_IRWXU)
        fn(p)

    if path.exists():
        for folder, _, _ in os.walk(path):
            os.chmod(folder, stat.S_IRWXU)
        shutil.rmtree(path, onerror=writable)


def apply_changes(
    folder: Path, changes: Mapping[str, str | os.PathLike[str] | bytes | None]
) -> None:
    """Change single files of ``folder``: a path (copied), bytes (written) or None
    (deleted) per relative path; every change is checked before any is made, and a
    link is replaced, never written through (into DVC's cache)."""
    checked = {relpath(p, "changed path"): v for p, v in changes.items()}
    for path, value in checked.items():
        if value is not None and not isinstance(value, bytes) and not Path(value).is_file():
            raise BadRequest(f"the new content of {path} must be bytes or a file; {value} is not")
    for path, value in checked.items():
        target = folder / path
        if target.is_symlink() or target.is_file():
            target.unlink()
        if value is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, bytes):
            target.write_bytes(value)
        else:
            shutil.copy2(value, target)
