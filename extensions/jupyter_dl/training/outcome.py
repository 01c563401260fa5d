"""How a job ended, settled from what its ranks left in the job's folder.

Every backend's ``run`` returns an :class:`Outcome`; the supervisor records it.
The helpers here read the per-rank records that ``entry.py`` writes wherever a
rank runs, so each backend reports failures the same way: the traceback of the
rank that raised first, then ranks that died on their own, then ranks the
launcher stopped because another one failed.
"""

from __future__ import annotations

import signal
from typing import Any

from .files import JobFiles


class Stopped(BaseException):
    """The supervisor was told to stop by a signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Outcome:
    """How the job ended: status, one exit code per rank, the error people read first."""

    def __init__(self, status: str, exit_codes: list[int | None], error: str | None = None) -> None:
        self.status = status
        self.exit_codes = exit_codes
        self.error = error


def describe_failure(
    files: JobFiles, spec: dict[str, Any], failures: dict[int, dict[str, Any]]
) -> str:
    """What went wrong, cause first: the traceback of each rank that raised (earliest
    first), then ranks that exited or died of a signal on their own, then ranks the
    launcher stopped (SIGTERM) because another one failed.

    ``failures`` maps a rank to ``{"exitcode", "how", "time"}`` (see :func:`failure`).
    """
    attempt = attempts(files, spec["nproc"])
    entries: list[tuple[int, float, str]] = []
    raised = set()
    for record in files.errors(attempt):
        rank = record["rank"]
        raised.add(rank)
        code = failures.get(rank, {}).get("exitcode")
        how = f" (exit code {code})" if code is not None else ""
        entries.append((0, record["time"], f"rank {rank} failed{how}:\n{record['traceback']}"))
    for rank, failed in sorted(failures.items()):
        if rank not in raised:
            stopped = failed["exitcode"] == -signal.SIGTERM
            entries.append((2 if stopped else 1, failed["time"], f"rank {rank} {failed['how']}"))
    entries.sort(key=lambda e: (e[0], e[1]))
    return "\n\n".join(text.rstrip() for _, _, text in entries)


def failure(code: int, when: float) -> dict[str, Any]:
    """A rank's failure as :func:`describe_failure` reads it: exit ``code`` (negative for
    a signal) at time ``when``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"was killed by {name}"
    else:
        how = f"exited with code {code}"
    return {"exitcode": code, "how": how, "time": when}


def exit_codes(
    files: JobFiles, spec: dict[str, Any], failures: dict[int, dict[str, Any]] | None = None
) -> list[int | None]:
    """Each rank's exit code in the last attempt; None for a rank stopped by the launcher."""
    failures = failures or {}
    attempt = attempts(files, spec["nproc"])
    codes: list[int | None] = []
    for rank, record in enumerate(files.ranks(spec["nproc"], "exit")):
        if rank in failures:
            codes.append(failures[rank]["exitcode"])
        elif isinstance(record, dict) and record.get("attempt") == attempt:
            codes.append(record["code"])
        else:
            codes.append(None)
    return codes


def attempts(files: JobFiles, nproc: int) -> int:
    """The attempt the ranks are on: 0 until the launcher restarts them."""
    seen = [r.get("attempt", 0) for r in files.ranks(nproc, "pid") if isinstance(r, dict)]
    return max(seen, default=0)
