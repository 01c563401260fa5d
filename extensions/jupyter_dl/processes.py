"""Processes the platform starts or watches: is one still alive, and stopping a whole tree.

Runs record the process that logs them; training jobs record their supervisor
and every rank. A pid alone is not an identity (pids are reused), so each check
also compares the process's start time. Stopping a job must leave nothing
behind: ranks run in sessions of their own and may start helpers (data loader
workers, shell commands), so a stop signals every process of those groups and
of the supervisor's tree, waits, and kills what is left.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

#: Seconds a process may take to exit after SIGTERM before it gets SIGKILL.
DEFAULT_GRACE = 10.0


def current_user() -> str | None:
    """The name of the user this process runs as; None in a container whose uid has
    no passwd entry."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def spawn_detached(
    argv: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, float]:
    """Start ``argv`` in a session of its own, its output appended to ``log``; its pid
    and start time.

    What a job's supervisor and a deployment's server are: neither a kernel restart
    nor the server's shutdown reaches them. A thread collects the exit status
    whenever the process ends, so it never lingers as a zombie; nothing waits for it.
    """
    import subprocess
    import threading

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    threading.Thread(target=proc.wait, name=f"detached-{proc.pid}", daemon=True).start()
    started = create_time(proc.pid)
    return proc.pid, started if started is not None else 0.0


def process_alive(pid: int, since: float) -> bool:
    """Whether ``pid`` is still a process that existed at ``since`` (not a zombie, not reused)."""
    import psutil

    try:
        proc = psutil.Process(pid)
        alive: bool = proc.status() != psutil.STATUS_ZOMBIE and proc.create_time() <= since + 1
    except psutil.Error:
        return False
    return alive


def create_time(pid: int) -> float | None:
    """When ``pid`` started (UNIX seconds), as ``process_alive`` compares it; None if gone."""
    import psutil

    try:
        started: float = psutil.Process(pid).create_time()
    except psutil.Error:
        return None
    return started


def tree(pid: int, since: float) -> list[Any]:
    """The process ``pid`` (if it is still the one started by ``since``) and its descendants."""
    import psutil

    if not process_alive(pid, since):
        return []
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def group_members(pgid: int, since: float) -> list[Any]:
    """Every process in process group ``pgid`` started at or after ``since``.

    A group outlives its leader while a member lives (a helper a rank started);
    the start-time bound keeps a reused group id from naming unrelated processes.
    """
    import psutil

    members = []
    for proc in psutil.process_iter(["create_time"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["create_time"] >= since - 1:
                members.append(proc)
        except (ProcessLookupError, PermissionError, psutil.Error):
            continue
    return members


def stop(processes: Iterable[Any], grace: float = DEFAULT_GRACE) -> list[int]:
    """SIGTERM every process, wait up to ``grace`` seconds, SIGKILL the survivors.

    Returns the pids still alive afterwards (empty unless a process cannot be killed).
    """
    import psutil

    targets = {p.pid: p for p in processes if p.pid != os.getpid()}
    for proc in targets.values():
        try:
            proc.terminate()
        except psutil.Error:
            continue
    _, alive = psutil.wait_procs(list(targets.values()), timeout=grace)
    for proc in alive:
        try:
            proc.kill()
        except psutil.Error:
            continue
    _, still = psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in still]


def die_with_parent() -> None:
    """Have Linux kill this process when its parent exits (no-op elsewhere).

    A rank whose launcher was killed outright would otherwise run on, unseen
    and holding its GPU.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
