"""A notebook cell as a job's function: what ``%%dl_train`` ships, and how a rank runs it.

What is shipped, exactly:

- the cell's source. Each rank runs it as the body of a function; the value of
  the cell's last line, when it is an expression, is the function's return value
  (``job.result()``), as a notebook would show it;
- every name the cell reads that the notebook has defined (its user namespace),
  as it is when the job is launched, except IPython's own (``In``, ``Out``,
  ``get_ipython``, ``exit``, ``quit``) and names starting with ``_``:

  - modules go by name and are imported again in each rank (``import numpy as np``
    in the notebook makes ``np`` work in the cell);
  - functions and classes defined in the notebook go by value: their code and
    the notebook values they use, with cloudpickle;
  - functions, classes and objects of importable modules go by reference;
  - other values (numbers, strings, lists, dicts, arrays, tensors, models) are
    pickled together, so two names for one object stay one object.

- Values that cannot be pickled (open files, locks, sockets, generators, database
  connections) are not shipped; the magic names them and why. A rank that reads
  one fails with a ``NameError``: create such things inside the cell.

Nothing flows back: what the cell assigns stays in the ranks. Names the cell only
assigns are not shipped.
"""

from __future__ import annotations

import ast
import builtins
import linecache
from collections.abc import Mapping
from types import ModuleType
from typing import Any

#: Names IPython puts in every user namespace; never shipped.
IPYTHON_NAMES = frozenset({"In", "Out", "get_ipython", "exit", "quit"})
CELL_FILE = "<dl_train cell>"


class NotebookCell:
    """A cell's source and the notebook values it reads; calling it runs the cell."""

    def __init__(self, source: str, namespace: dict[str, Any]) -> None:
        self.source = source
        self.namespace = namespace

    def __repr__(self) -> str:
        lines = len(self.source.splitlines())
        return f"%%dl_train cell ({lines} line{'s' if lines != 1 else ''})"

    def __call__(self) -> Any:
        tree = ast.parse(self.source, CELL_FILE)
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        if last is not None:
            tree.body.pop()
        # Tracebacks of the cell show its lines, as they would in the notebook.
        linecache.cache[CELL_FILE] = (
            len(self.source),
            None,
            self.source.splitlines(keepends=True),
            CELL_FILE,
        )
        scope: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        scope.update(self.namespace)
        exec(compile(tree, CELL_FILE, "exec"), scope)
        if last is None:
            return None
        return eval(compile(ast.Expression(last.value), CELL_FILE, "eval"), scope)


def names_read(source: str) -> list[str]:
    """Every name the cell reads (anywhere: in functions, loops, comprehensions)."""
    tree = ast.parse(source, CELL_FILE)
    return sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    )


def cell_namespace(
    source: str, user_ns: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The notebook values the cell reads that can be shipped, and why the others cannot."""
    from .pickling import dumps

    wanted = {
        name: user_ns[name]
        for name in names_read(source)
        if name in user_ns and not name.startswith("_") and name not in IPYTHON_NAMES
    }
    try:
        dumps(wanted)
        return wanted, {}
    except Exception:
        pass  # find the values that cannot travel, one by one
    shipped: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name, value in wanted.items():
        if isinstance(value, ModuleType):
            shipped[name] = value
            continue
        try:
            dumps(value)
        except Exception as e:
            skipped[name] = f"{type(value).__name__} cannot be pickled ({type(e).__name__}: {e})"
        else:
            shipped[name] = value
    return shipped, skipped
