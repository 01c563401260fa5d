"""``%%dl_train``, ``%dl_train``, ``%dl_jobs``, ``%dl_logs`` and ``%dl_cancel``.

The magics parse and display; the work is ``dl.train``, ``dl.job`` and
``dl.jobs`` (``jupyter_dl.training.job``), which the Training panel's REST API
shares. A launched job runs detached from the kernel: the cell returns at once,
its output follows in a live view, and the kernel stays free.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import HTML, display

from .dataset_magics import table


def backend_options(pairs: list[str]) -> dict[str, Any]:
    """``--option KEY=VALUE`` pairs as a dict; a value that reads as a JSON number,
    boolean or list is that, anything else a string."""
    import json

    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--option takes KEY=VALUE, not {pair!r}")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


@magics_class
class TrainingMagics(Magics):
    """Training jobs from notebook cells."""

    @magic_arguments()
    @argument("script", nargs="?", default=None, help="line magic: the .py or .ipynb to run")
    @argument("--nproc", default="auto", help="processes (ranks); auto: one per GPU, or one")
    @argument("--gpus", type=int, default=None, help="GPUs to use (0: CPU only)")
    @argument("--backend", default="local", help="where the job runs (local, dask)")
    @argument("--name", default=None, help="the job's name")
    @argument("--max-restarts", type=int, default=0, help="restarts of all ranks after a failure")
    @argument("--project", default=None, help="the project of the job's run")
    @argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a setting of the backend (repeatable), e.g. --option address=tcp://host:8786",
    )
    @argument("--steps", type=int, default=None, help="steps the run logs, for a progress bar")
    @argument("--quiet", action="store_true", help="do not show the job's live view")
    @line_cell_magic
    def dl_train(self, line: str, cell: str | None = None) -> Any:
        """Run a cell, a script or a notebook as a distributed training job.

        ``%%dl_train --nproc 2 [--gpus 1] [--backend local] [--name NAME]`` runs the
        cell's code in every rank, with the notebook's values the cell reads (see
        ``jupyter_dl.training.cell`` for exactly what is shipped); the value of its
        last line is the job's result. ``%dl_train train.py --nproc 2 -- --lr 0.1``
        runs a script with the arguments after ``--``. Returns the ``Job``; its
        output and status follow below the cell while the kernel stays free.
        """
        from jupyter_dl.training.job import train

        options, script_args = _split(line)
        args = parse_argstring(self.dl_train, options)
        nproc: int | str = int(args.nproc) if args.nproc.isdigit() else args.nproc
        common = {
            "nproc": nproc,
            "gpus": args.gpus,
            "backend": args.backend,
            "name": args.name,
            "max_restarts": args.max_restarts,
            "project": args.project,
            "options": backend_options(args.option),
        }
        if cell is not None:
            if args.script or script_args:
                raise UsageError("%%dl_train runs the cell; use %dl_train SCRIPT for a script")
            function = self.ship(cell)
            job = train(function, **{**common, "name": args.name or "cell"})
        else:
            if not args.script:
                raise UsageError("%dl_train needs a script: %dl_train train.py --nproc 2 -- ARGS")
            job = train(args.script, args=script_args, **common)
        if not args.quiet:
            job.widget(total_steps=args.steps)
        return job

    def ship(self, cell: str) -> Any:
        """The cell as a job's function; refuses IPython syntax, names what stays behind."""
        from IPython.core.inputtransformer2 import TransformerManager

        from jupyter_dl.training.cell import NotebookCell, cell_namespace

        if TransformerManager().transform_cell(cell).strip() != cell.strip():
            raise UsageError(
                "a %%dl_train cell runs as plain Python in every rank: move the magics,"
                " shell commands (!) and help (?) out of it"
            )
        namespace, skipped = cell_namespace(cell, self.shell.user_ns if self.shell else {})
        for name, reason in skipped.items():
            print(f"%%dl_train: {name} is not sent to the job: {reason}", file=sys.stderr)
        return NotebookCell(cell, namespace)

    @magic_arguments()
    @argument("--status", default=None, help="active, queued, running, succeeded, ...")
    @argument("--limit", type=int, default=20, help="how many jobs to show")
    @line_magic
    def dl_jobs(self, line: str) -> None:
        """The newest training jobs: status, processes, GPUs, timings and run."""
        from jupyter_dl.training.job import jobs

        args = parse_argstring(self.dl_jobs, line)
        display(HTML(jobs_html(jobs(status=args.status, limit=args.limit))))

    @magic_arguments()
    @argument("job_id", help="the job's id")
    @argument("--rank", type=int, default=None, help="one rank's log (default: every rank)")
    @argument("--follow", action="store_true", help="keep showing output until the job ends")
    @line_magic
    def dl_logs(self, line: str) -> None:
        """A job's output: ``%dl_logs ID [--rank N] [--follow]``."""
        from jupyter_dl.training.job import job

        args = parse_argstring(self.dl_logs, line)
        found = job(args.job_id)
        if args.follow:
            found.widget()
        else:
            print(found.logs(rank=args.rank), end="")

    @magic_arguments()
    @argument("job_id", help="the job's id")
    @line_magic
    def dl_cancel(self, line: str) -> None:
        """Stop a job and every process it started: ``%dl_cancel ID``."""
        from jupyter_dl.training.job import job

        args = parse_argstring(self.dl_cancel, line)
        found = job(args.job_id)
        print(f"job {found.name} ({found.id}): {found.cancel()}")


def jobs_html(jobs: list[dict[str, Any]]) -> str:
    if not jobs:
        return "<p>No jobs yet: <code>%%dl_train --nproc 2</code> or <code>dl.train(fn)</code></p>"
    rows = [
        [
            j["id"],
            j["name"],
            j["status"],
            j["kind"],
            j["nproc"],
            j["gpus"],
            j["restarts"],
            (j["created_at"] or "")[:19].replace("T", " "),
            f"{j['duration']:.1f}s" if j["duration"] is not None else "",
            j["run_id"] or "",
        ]
        for j in jobs
    ]
    headers = ["id", "name", "status", "kind", "processes", "GPUs", "restarts", "created"]
    return table([*headers, "duration", "run"], rows)


def _split(line: str) -> tuple[str, list[str]]:
    """The magic's own options, and the script's arguments after ``--``."""
    words = shlex.split(line)
    if "--" not in words:
        return line, []
    cut = words.index("--")
    return shlex.join(words[:cut]), words[cut + 1 :]
