"""Execute the example notebooks the way a user would: in order, in one store.

``run_examples(workdir, env)`` is shared by the tests that need a store the examples
filled (their own test, and the browser tour, which points it at the demo user's
server). The notebooks are copied into ``workdir`` first, so the checked-in ones stay
free of outputs, and each runs with ``workdir`` as its folder, as JupyterLab runs a
notebook in its own folder: the files one notebook leaves (``data/shapes``) are where
the next expects them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"

#: Seconds one cell may run before the notebook counts as failed.
CELL_TIMEOUT = 300


class ExampleFailed(AssertionError):
    """A notebook stopped: its name, the failing cell's source, output and error."""


def example_notebooks() -> list[Path]:
    """The example notebooks in the order they are meant to run (by their number)."""
    return sorted(EXAMPLES_DIR.glob("[0-9][0-9]-*.ipynb"))


def run_examples(
    workdir: Path,
    env: Mapping[str, str],
    notebooks: Iterable[str] | None = None,
    cell_timeout: int = CELL_TIMEOUT,
) -> list[Path]:
    """Copy the example notebooks into ``workdir`` and execute them in order.

    - ``env``: variables the kernels get on top of this process's environment, such
      as ``JUPYTER_DL_DB_URL`` and the other ``JUPYTER_DL_*`` folders of
      ``jupyter_dl.paths``: the store the examples fill.
    - ``notebooks``: file names to run (default: every example); later notebooks use
      what earlier ones left, so a subset must still start from the first.
    - Each runs in a fresh ``python3`` kernel of this interpreter, with ``workdir`` as
      its folder, ``cell_timeout`` seconds per cell at most.

    Returns the executed copies (outputs saved in them). Raises ``ExampleFailed``
    naming the notebook and cell, with the cell's source, output and traceback; the
    copy is saved as far as it ran.
    """
    import nbformat
    from nbclient import NotebookClient

    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    wanted = set(notebooks) if notebooks is not None else None
    sources = [p for p in example_notebooks() if wanted is None or p.name in wanted]
    if wanted is not None and len(sources) != len(wanted):
        missing = wanted - {p.name for p in sources}
        raise ValueError(f"no such example notebook: {', '.join(sorted(missing))}")
    kernel_env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "WANDB_MODE": "disabled",
        **env,
    }
    executed = []
    for source in sources:
        copy = workdir / source.name
        shutil.copyfile(source, copy)
        # jupyter_server tells each kernel its notebook this way; runs then record the
        # notebook, as they do in JupyterLab.
        kernel_env["JPY_SESSION_NAME"] = str(copy)
        nb = nbformat.read(copy, as_version=4)
        client = NotebookClient(
            nb,
            timeout=cell_timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(workdir)}},
        )
        try:
            client.execute(env=kernel_env, cwd=str(workdir))
        except Exception as error:
            nbformat.write(nb, copy)
            raise ExampleFailed(_failure(copy.name, nb, error)) from None
        nbformat.write(nb, copy)
        executed.append(copy)
    return executed


def cell_text(cell: Mapping[str, Any]) -> str:
    """What a cell showed: its streams, results and errors as text."""
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(output.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            parts.append(data.get("text/plain", "") + "\n")
        elif kind == "error":
            parts.append("\n".join(output.get("traceback", [])) + "\n")
    return "".join(parts)


def _failure(name: str, nb: Any, error: Exception) -> str:
    """The failing cell (the last one with an error, else the last one that ran)."""
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    failed = next(
        (
            c
            for c in reversed(nb.cells)
            if any(o.get("output_type") == "error" for o in c.get("outputs", []))
        ),
        ran[-1] if ran else None,
    )
    if failed is None:
        return f"{name}: {type(error).__name__}: {error}"
    index = nb.cells.index(failed)
    return (
        f"{name}, cell {index} ({type(error).__name__}):\n{failed.source}\n"
        f"--- output ---\n{_plain(cell_text(failed))}\n--- error ---\n{_plain(str(error))}"
    )


def _plain(text: str) -> str:
    """Tracebacks without the terminal's colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
