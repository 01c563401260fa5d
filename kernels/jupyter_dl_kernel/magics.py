"""Magics that drive the platform from a notebook cell."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display


@magics_class
class PlatformMagics(Magics):
    """``%dl_info`` and, as the platform grows, the other ``%dl_*`` magics."""

    @magic_arguments()
    @argument("--json", action="store_true", help="return the facts as a dict instead")
    @line_magic
    def dl_info(self, line: str) -> Any:
        """Show the platform facts: version, store, visible GPUs, versions.

        The same facts as ``dl.info()`` and the Deep Learning sidebar.
        """
        from jupyter_dl.api import info

        args = parse_argstring(self.dl_info, line)
        facts = info()
        if args.json:
            return dict(facts)
        display(facts)
        return None
