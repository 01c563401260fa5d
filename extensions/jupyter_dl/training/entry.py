"""What every rank of a job runs: ``python -m jupyter_dl.training.entry <job dir>``.

torch elastic starts this once per rank (and again on every restart), with
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` and ``TORCHELASTIC_RESTART_COUNT`` set.
It sends everything the rank prints to ``rank-<n>.log`` (appending, so restarts
follow the earlier attempts), records its process for ``cancel``, runs the job
(the shipped function, a script or a notebook), and records how it ended:
rank 0's return value for ``job.result()``, the traceback of a rank that raised,
and the exit code.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from .. import processes
from .files import JobFiles, atomic_write


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    files = JobFiles(Path(args[0]))
    rank = int(os.environ.get("RANK", "0"))
    attempt = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
    _send_output_to(files.log(rank), attempt, rank)
    processes.die_with_parent()
    files.write_json(
        files.pid(rank),
        {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "host": socket.gethostname(),
            "started": processes.create_time(os.getpid()) or time.time(),
            "attempt": attempt,
        },
    )
    signal.signal(signal.SIGTERM, _terminate)
    code = 0
    try:
        spec = files.read_spec()
        value = run(spec, files)
        if rank == 0 and spec["kind"] == "function":
            keep_result(files, value)
    except Terminated:
        code = -signal.SIGTERM
    except SystemExit as e:
        code = _exit_code(e)
        if code:
            _record_error(files, rank, attempt, f"the job exited with code {code} ({e.code!r})\n")
    except BaseException as e:
        text = user_traceback(e)
        print(text, file=sys.stderr, flush=True)
        _record_error(files, rank, attempt, text)
        code = 1
    finally:
        _end(code)
    files.write_json(files.exit(rank), {"attempt": attempt, "code": code})
    if code == -signal.SIGTERM:  # end as stopped, the way torch elastic reports it
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    return code


class Terminated(BaseException):
    """The launcher is stopping this rank (another rank failed, or the job was cancelled)."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    # Unwinding lets rank 0 write what it logged before it goes.
    raise Terminated()


def run(spec: dict[str, Any], files: JobFiles) -> Any:
    """Run the job's code in this rank; the function's return value (None otherwise)."""
    kind = spec["kind"]
    if kind == "function":
        import cloudpickle

        with files.payload.open("rb") as f:
            fn, args, kwargs = cloudpickle.load(f)
        sys.argv = list(spec["argv"])
        _join_process_group()
        return fn(*args, **kwargs)
    script = spec["script"]
    if kind == "script":
        import runpy

        sys.argv = [script, *spec["args"]]
        sys.path.insert(0, str(Path(script).parent))
        runpy.run_path(script, run_name="__main__")
        return None
    run_notebook(Path(script), spec["args"])
    return None


def run_notebook(path: Path, args: list[str]) -> None:
    """Run a notebook's code cells in order in an IPython shell, as a kernel would;
    the first cell that raises stops the job with its traceback."""
    from IPython.core.interactiveshell import InteractiveShell

    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    sys.argv = [str(path), *args]
    shell = InteractiveShell.instance(colors="nocolor")
    shell.user_ns["__file__"] = str(path)
    for number, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", ""))
        result = shell.run_cell(source, store_history=False)  # type: ignore[no-untyped-call]
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            raise RuntimeError(f"cell {number} of {path.name} failed") from error


def _join_process_group() -> None:
    """Set up ``torch.distributed`` before the function runs, so its collectives (and
    ``dl.distributed``) just work; a function job without torch installed runs as it is."""
    from importlib.util import find_spec

    if find_spec("torch") is not None:
        from .distributed import distributed

        distributed.setup()


def user_traceback(error: BaseException) -> str:
    """The traceback of ``error`` from the user's code down: the frames of this module
    that called it say nothing about what went wrong."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def keep_result(files: JobFiles, value: Any) -> None:
    """Rank 0's return value, for ``job.result()``; why not, when it cannot be pickled."""
    from .pickling import dumps

    try:
        data = dumps(value)
    except Exception as e:
        message = f"the function returned a {type(value).__name__} that cannot be pickled: {e}"
        print(f"[jupyter-dl] {message}", file=sys.stderr, flush=True)
        atomic_write(files.result_error, message.encode())
        return
    atomic_write(files.result, data)


def _send_output_to(log: Path, attempt: int, rank: int) -> None:
    """Point this process's stdout and stderr (and its children's) at the rank's log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    if attempt:
        print(f"[jupyter-dl] restart {attempt}: rank {rank} starts again", flush=True)


def _record_error(files: JobFiles, rank: int, attempt: int, text: str) -> None:
    files.write_json(
        files.error(rank, attempt),
        {"rank": rank, "attempt": attempt, "time": time.time(), "traceback": text},
    )


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr, flush=True)
    return 1


def _end(code: int) -> None:
    """Write what rank 0 logged, then leave the process group."""
    from .. import api

    api.finish("finished" if code == 0 else "failed", code)
    torch = sys.modules.get("torch")
    distributed = getattr(torch, "distributed", None)
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        distributed.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
