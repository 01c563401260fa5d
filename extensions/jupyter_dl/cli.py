"""``jupyter dl ...``: the command line. It parses and prints; the work lives elsewhere."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__

REGISTRY_COMMANDS = {"serve", "deployments", "stop", "models", "kserve"}
QUOTA_COMMANDS = {"quota", "usage"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``jupyter-dl`` (and so of ``jupyter dl``)."""
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "hub":
        from jupyter_dl_hub.launcher import main as hub_main

        return hub_main(rest) or 0
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command in REGISTRY_COMMANDS:
        from .registry.commands import run_command

        return run_command(args)
    if args.command in QUOTA_COMMANDS:
        from jupyter_dl_hub.quotas.cli import run_command as run_quota_command

        return run_quota_command(args)
    return _info(as_json=args.json)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter dl", description="jupyter-dl platform")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "hub",
        add_help=False,
        help="run the embedded JupyterHub on this machine (see 'jupyter dl hub --help')",
    )
    info = commands.add_parser("info", help="show version, store and visible GPUs")
    info.add_argument("--json", action="store_true", help="print the facts as JSON")
    from .registry.commands import add_commands

    add_commands(commands)
    from jupyter_dl_hub.quotas.cli import add_commands as add_quota_commands

    add_quota_commands(commands)
    return parser


def _info(as_json: bool) -> int:
    from .api import info

    facts = info()
    print(json.dumps(facts, indent=2) if as_json else facts.as_text())
    return 1 if facts["store"].get("error") else 0


if __name__ == "__main__":
    sys.exit(main())
