"""``%dl_dataset``: list, show and use datasets from a notebook cell.

The magic only parses and displays; the work is done by ``jupyter_dl``'s
Python API (``dl.datasets.list()``, ``dl.dataset(...)``), which the Datasets
panel's REST API shares.
"""

from __future__ import annotations

import html
import keyword
import re
from collections.abc import Sequence
from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import HTML, display


@magics_class
class DatasetMagics(Magics):
    """``%dl_dataset list|show|use|status``."""

    @magic_arguments()
    @argument("action", choices=["list", "show", "use", "status"], help="what to do")
    @argument(
        "target",
        nargs="?",
        default=None,
        help="NAME or NAME@VERSION (a tag, a commit id or latest); for list, a search",
    )
    @argument(
        "--as",
        dest="variable",
        default=None,
        help="use: the variable to assign the dataset to (default: its name)",
    )
    @line_magic
    def dl_dataset(self, line: str) -> Any:
        """Datasets in the platform's catalog.

        ``%dl_dataset list [SEARCH]`` shows the catalog; ``%dl_dataset show NAME`` a
        dataset and its versions; ``%dl_dataset use NAME[@VERSION] [--as VAR]`` assigns
        ``dl.dataset(NAME, version=VERSION)`` to a variable (recorded on the active
        run); ``%dl_dataset status NAME`` says whether its working folder still holds
        the latest version.
        """
        from jupyter_dl.api import dataset
        from jupyter_dl.datasets import list as catalog

        args = parse_argstring(self.dl_dataset, line)
        if args.action == "list":
            show_catalog(catalog(args.target))
            return None
        if not args.target:
            raise ValueError(f"%dl_dataset {args.action} needs a dataset name")
        name, _, version = args.target.partition("@")
        if args.action == "show":
            ds = dataset(name, version or "latest")
            display(HTML(dataset_html(catalog(name), ds.versions(), name)))
            return None
        if args.action == "status":
            display(HTML(status_html(dataset(name).status())))
            return None
        variable = args.variable or variable_name(name)
        if not variable.isidentifier() or keyword.iskeyword(variable):
            raise ValueError(f"{variable!r} is not a valid variable name")
        ds = dataset(name, version or "latest")
        if self.shell is not None:
            self.shell.user_ns[variable] = ds
        snippet = f"{variable} = dl.dataset({name!r}, version={ds.version!r})"
        display(HTML(f"<code>{html.escape(snippet)}</code>{ds._repr_html_()}"))
        return None


def variable_name(name: str) -> str:
    """A Python name for a dataset: ``imagenet-1k`` → ``imagenet_1k``."""
    variable = re.sub(r"\W", "_", name)
    if not variable.isidentifier() or keyword.iskeyword(variable):
        variable = f"ds_{variable}"
    return variable


def show_catalog(datasets: list[dict[str, Any]]) -> None:
    if not datasets:
        display(HTML("<p>No datasets yet: <code>dl.datasets.create(name, folder)</code></p>"))
        return
    rows = [
        [
            d["name"],
            d["latest"]["ref"] if d["latest"] else "",
            f"{d['latest']['files']:,}" if d["latest"] else "",
            size_text(d["latest"]["size"]) if d["latest"] else "",
            d["owner"] or "",
            d["description"],
        ]
        for d in datasets
    ]
    display(HTML(table(["name", "latest", "files", "size", "owner", "description"], rows)))


def dataset_html(entries: list[dict[str, Any]], versions: list[dict[str, Any]], name: str) -> str:
    entry = next((d for d in entries if d["name"] == name), None)
    head = f"<h4>{html.escape(name)}</h4>"
    if entry and entry["description"]:
        head += f"<p>{html.escape(entry['description'])}</p>"
    rows = [
        [
            v["ref"],
            v["commit"][:10],
            v["created_at"],
            v["author"],
            f"{v['files']:,}",
            size_text(v["size"]),
            v["message"],
        ]
        for v in versions
    ]
    return head + table(["version", "commit", "date", "author", "files", "size", "message"], rows)


def status_html(status: dict[str, Any]) -> str:
    where = html.escape(status["workdir"])
    if status["clean"]:
        return f"<p>{where} holds version {html.escape(status['version'])}: nothing changed.</p>"
    counts = ", ".join(f"{status[k]:,} {k}" for k in ("added", "removed", "modified") if status[k])
    rows = [[c["change"], c["path"]] for c in status["changes"]]
    return (
        f"<p>{where} differs from version {html.escape(status['version'])}: {counts}.</p>"
        + table(["change", "path"], rows)
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:left'>{html.escape(str(c))}</td>" for c in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def size_text(n: int) -> str:
    from jupyter_dl.datasets.dataset import size_text as text

    return text(n)
