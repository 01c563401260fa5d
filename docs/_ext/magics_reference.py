"""Document the notebook magics from the magics themselves.

Each ``%dl_*`` magic declares its arguments with IPython's ``magic_arguments``,
so its parser already knows the usage line, every option with its help and
default, and the docstring. The ``dl-magics`` directive writes one entry per
magic from that parser, in the order the kernel extension registers them, so
the reference never drifts from what ``%dl_train?`` prints in a notebook.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

FENCE = "````"


def magic_entries() -> Iterator[tuple[str, Any]]:
    """(``%name`` or ``%%name``, the method) of every magic, as the kernel registers them."""
    from jupyter_dl_kernel import _magics

    for magics in _magics():
        cells = set(magics.magics.get("cell", {}))
        for name, attribute in magics.magics.get("line", {}).items():
            prefix = "%%" if name in cells else "%"
            yield prefix + name, getattr(magics, attribute)
        for name, attribute in magics.magics.get("cell", {}).items():
            if name not in magics.magics.get("line", {}):
                yield "%%" + name, getattr(magics, attribute)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    names = ", ".join(action.option_strings)
    if action.nargs == 0:
        return f"`{names}`"
    return f"`{names} {action.metavar or action.dest.upper()}`"


def _default(action: argparse.Action) -> str:
    if action.nargs == 0 or action.default in (None, [], "", argparse.SUPPRESS):
        return ""
    return f"`{action.default}`"


def describe(name: str, method: Any) -> list[str]:
    """One magic: its usage as the signature, its docstring, its arguments as a table."""
    parser: argparse.ArgumentParser | None = getattr(method, "parser", None)
    if parser is None:
        usage = name
        text = inspect.cleandoc(method.__doc__ or "")
        actions: list[argparse.Action] = []
    else:
        usage = " ".join(parser.format_usage().replace("::", "").split())
        usage = usage.replace(f"%{parser.prog}", name, 1)
        text = inspect.cleandoc(parser.description or "")
        actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    lines = [f"{FENCE}{{describe}} {usage}", "", text, ""]
    if actions:
        lines += ["| argument | meaning | default |", "|---|---|---|"]
        for action in actions:
            meaning = _cell(action.help or "")
            if action.choices:
                meaning += ": " + ", ".join(f"`{choice}`" for choice in action.choices)
            lines.append(f"| {_argument(action)} | {meaning} | {_default(action)} |")
        lines.append("")
    return [*lines, FENCE, ""]


class DlMagics(SphinxDirective):
    """Every ``%dl_*`` magic of ``jupyter_dl_kernel``."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        lines: list[str] = []
        for name, method in magic_entries():
            lines += describe(name, method)
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="jupyter_dl_kernel"), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("dl-magics", DlMagics)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
