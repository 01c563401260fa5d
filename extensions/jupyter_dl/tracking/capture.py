"""What ran, where and with what: the facts a run needs to be reproduced later.

``dl.init`` records these without being asked, because the moment a result
matters is long after anyone remembers which notebook, commit and package
versions produced it. Capturing is cheap by design: no framework is imported
(torch's version comes from its metadata, its CUDA build only when the user
already imported it), GPUs are read through NVML, git answers within a short
timeout, and the package list comes from installed metadata rather than a
``pip freeze`` subprocess.
"""

from __future__ import annotations

import logging
import os
import platform
import socket
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..processes import current_user

log = logging.getLogger(__name__)

#: How long one git command may take before the run starts without git facts.
GIT_TIMEOUT = 2.0
#: A diff larger than this is cut, so one vendored data file cannot bloat every run.
MAX_DIFF_BYTES = 5 * 2**20
#: A notebook or script larger than this (usually embedded outputs) is not copied.
MAX_CODE_BYTES = 50 * 2**20

#: ``git diff`` is stopped after this many seconds; the run keeps what arrived.
DIFF_TIMEOUT = 10.0


def capture_environment() -> dict[str, Any]:
    """Describe this process as a JSON-able dict, stored with the run's metadata."""
    notebook = notebook_path()
    script = None if notebook else _script_path()
    code = notebook or script
    gpu_report = _gpu_report()
    return {
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "pid": os.getpid(),
        "argv": list(sys.argv),
        "cwd": os.getcwd(),
        "user": current_user(),
        "torch": _torch(),
        "gpus": gpu_report["gpus"],
        "cuda_driver": gpu_report["driver"],
        "git": git_state(Path(code).parent if code else Path.cwd()),
        "notebook": {"path": notebook} if notebook else None,
        "script": script,
    }


def notebook_path() -> str | None:
    """The notebook file this kernel serves, or None outside a Jupyter kernel.

    jupyter_server tells a kernel its notebook in ``JPY_SESSION_NAME``: an
    absolute path when the session names its file, else the API path relative
    to the server's root. The kernel runs in the notebook's directory, so a
    relative path is resolved against the nearest ancestor of the working
    directory that holds it.
    """
    session = os.environ.get("JPY_SESSION_NAME")
    if not session:
        return None
    path = Path(session)
    if path.is_absolute():
        return str(path)
    cwd = Path.cwd()
    for root in (cwd, *cwd.parents):
        if (root / path).is_file():
            return str(root / path)
    return str(cwd / path.name)


def git_state(cwd: Path) -> dict[str, Any] | None:
    """Commit, branch, remote and dirtiness of the repository holding ``cwd``.

    None outside a repository, without git, or when git does not answer in
    time: a run is never held up by its own bookkeeping. ``dirty`` counts
    changes to tracked files only, matching what ``git diff HEAD`` records.
    """
    root = _git(cwd, "rev-parse", "--show-toplevel")
    if root is None:
        return None
    status = _git(cwd, "status", "--porcelain=v2", "--branch", "--untracked-files=no")
    if status is None:
        return None
    headers = _status_headers(status)
    oid = headers.get("branch.oid")
    branch = headers.get("branch.head")
    return {
        "root": root.strip(),
        "commit": None if oid in (None, "(initial)") else oid,
        "branch": None if branch in (None, "(detached)") else branch,
        "remote": _remote_url(cwd),
        "dirty": any(line and not line.startswith("#") for line in status.splitlines()),
    }


def capture_files(env: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The files to store as artifacts beside ``env``, as (artifact name, content).

    The code as it was on disk (notebook or script), the uncommitted changes
    when the repository is dirty, and the installed packages in requirements
    format. Whatever cannot be read is left out rather than failing the run.
    """
    files: list[tuple[str, bytes]] = []
    code = _code_file(env)
    if code is not None:
        files.append(code)
    git = env.get("git")
    if git and git.get("dirty") and git.get("commit"):
        diff = _git_diff(Path(git["root"]))
        if diff:
            files.append(("code/git.diff", diff))
    files.append(("environment/requirements.txt", requirements().encode()))
    return files


def requirements() -> str:
    """The installed distributions in ``pip freeze`` format, sorted by name.

    Read from package metadata (no subprocess, a few hundred milliseconds).
    Editable installs appear as ``-e <location>`` after a comment naming their
    version, and direct URL installs as ``name @ url``, as pip writes them.
    """
    from importlib.metadata import distributions

    entries: dict[str, list[str]] = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if not name:
            continue
        key = _normalize(name)
        if key not in entries:  # the first on sys.path is the one that imports
            entries[key] = _requirement_lines(name, dist.version, dist.read_text("direct_url.json"))
    return "".join(line + "\n" for key in sorted(entries) for line in entries[key])


def strip_credentials(url: str) -> str:
    """``url`` without user or password, so a token in a remote never reaches the store."""
    parts = urlsplit(url)
    if not parts.scheme or "@" not in parts.netloc:
        return url  # scp-like ``git@host:path``: the user is not a secret
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


def _requirement_lines(name: str, version: str, direct_url: str | None) -> list[str]:
    import json

    if direct_url is None:
        return [f"{name}=={version}"]
    try:
        info = json.loads(direct_url)
        url = strip_credentials(str(info["url"]))
    except (ValueError, KeyError, TypeError):
        return [f"{name}=={version}"]
    if info.get("dir_info", {}).get("editable"):
        return [f"# Editable install ({name}=={version})", f"-e {url}"]
    vcs = info.get("vcs_info")
    if vcs:
        url = f"{vcs.get('vcs', 'git')}+{url}"
        if vcs.get("commit_id"):
            url = f"{url}@{vcs['commit_id']}"
    return [f"{name} @ {url}"]


def _normalize(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def _code_file(env: dict[str, Any]) -> tuple[str, bytes] | None:
    notebook = (env.get("notebook") or {}).get("path")
    path = notebook or env.get("script")
    if not path:
        return None
    try:
        size = os.path.getsize(path)
        if size > MAX_CODE_BYTES:
            log.warning("Not storing %s with the run: %d bytes is over the limit", path, size)
            return None
        return f"code/{Path(path).name}", Path(path).read_bytes()
    except OSError as e:
        log.warning("Not storing %s with the run: %s", path, e)
        return None


def _git_diff(root: Path) -> bytes | None:
    """``git diff HEAD``, read only up to the cap so a huge diff costs no memory.

    A timer kills git if it is still writing after ``DIFF_TIMEOUT``; what it
    wrote by then is kept.
    """
    import threading

    command = ["git", "diff", "HEAD", "--no-color", "--no-ext-diff"]
    try:
        proc = subprocess.Popen(
            command, cwd=root, env=_git_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
    except OSError:
        return None
    assert proc.stdout is not None
    timer = threading.Timer(DIFF_TIMEOUT, proc.kill)
    timer.start()
    with proc:
        diff = proc.stdout.read(MAX_DIFF_BYTES + 1)
        proc.kill()
    timer.cancel()
    if len(diff) > MAX_DIFF_BYTES:
        diff = diff[:MAX_DIFF_BYTES] + f"\n# diff cut at {MAX_DIFF_BYTES} bytes\n".encode()
    return diff


def _git(cwd: Path, *args: str) -> str | None:
    """Run one git command in ``cwd``; its output, or None on any failure."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=_git_env(),
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode(errors="replace")


def _git_env() -> dict[str, str]:
    # Never prompt for credentials and never take the index lock a user's own git may need.
    return {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _status_headers(status: str) -> dict[str, str]:
    headers = {}
    for line in status.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            headers[key] = value
    return headers


def _remote_url(cwd: Path) -> str | None:
    """The ``origin`` URL, else the first remote's; None without remotes."""
    listing = _git(cwd, "config", "--get-regexp", r"^remote\..*\.url$") or ""
    urls: dict[str, str] = {}
    for line in listing.splitlines():
        key, _, url = line.partition(" ")
        urls.setdefault(key.removeprefix("remote.").removesuffix(".url"), url.strip())
    if not urls:
        return None
    return strip_credentials(urls.get("origin") or next(iter(urls.values())))


def _script_path() -> str | None:
    """The user's script: ``sys.argv[0]`` when it is a ``.py`` file outside the installation."""
    if not sys.argv or not sys.argv[0].endswith(".py"):
        return None
    path = Path(sys.argv[0]).resolve()
    if not path.is_file():
        return None
    installed = {sysconfig.get_path(p) for p in ("stdlib", "purelib", "platlib")}
    if any(path.is_relative_to(Path(p).resolve()) for p in installed if p):
        return None
    return str(path)


def _torch() -> dict[str, Any] | None:
    """torch's version from its metadata; its CUDA build only if torch is already loaded."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        return None
    cuda = None
    torch = sys.modules.get("torch")
    if torch is not None:
        cuda = getattr(getattr(torch, "version", None), "cuda", None)
    return {"version": torch_version, "cuda": cuda}


def _gpu_report() -> dict[str, Any]:
    from jupyter_dl.gpus import probe

    report = probe()
    return {
        "driver": report.driver,
        "gpus": [{"name": g.name, "memory_total": g.memory_total} for g in report.gpus],
    }
