"""``jupyter dl hub``: run the embedded JupyterHub in this process.

In-process rather than as a ``jupyterhub`` child process: JupyterHub already
answers SIGINT and SIGTERM by stopping the user servers and the proxy it
started, so running it here lets Ctrl-C or a service manager reach it directly,
with no wrapper that must forward signals and could outlive the hub. The
launcher only turns its options into the environment that
``jupyterhub_config.py`` reads, and prints how to log in once the hub is up.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jupyterhub.app import JupyterHub

from .embedded import IP_ENV, LOOPBACK, PORT_ENV, EmbeddedHub, EmbeddedHubError
from .state import STATE_DIR_ENV

CONFIG_FILE_NAME = "jupyterhub_config.py"


def find_config_file() -> Path:
    """The hub's ``jupyterhub_config.py``: inside the package of an installed wheel,
    or beside the package (``hub_config/``) in a source checkout."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / CONFIG_FILE_NAME, package_dir.parent / CONFIG_FILE_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"{CONFIG_FILE_NAME} is neither in {package_dir} nor in {package_dir.parent};"
        " reinstall jupyter-dl."
    )


class EmbeddedJupyterHub(JupyterHub):  # type: ignore[misc]
    """JupyterHub that reports bad embedded settings plainly and says how to log in."""

    description = "The jupyter-dl embedded JupyterHub: one machine, local user servers."

    async def initialize(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().initialize(*args, **kwargs)
        except EmbeddedHubError as error:
            # A setting to change, not a crash: the message without a traceback.
            self.log.critical("%s", error)
            self.exit(2)

    async def start(self) -> None:
        await super().start()
        if self.subapp or self.generate_config or self.generate_certs:
            return
        print(EmbeddedHub(parent=self).login_instructions(), flush=True)


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """The launcher's own options, and the rest, which go to JupyterHub unchanged."""
    parser = argparse.ArgumentParser(
        prog="jupyter dl hub",
        description="Run JupyterHub with the jupyter-dl platform on this machine.",
        epilog="Other options (--debug, --log-level=...) are passed to JupyterHub.",
    )
    parser.add_argument("--ip", help=f"address to listen on (default: ${IP_ENV}, else {LOOPBACK})")
    parser.add_argument(
        "--port", type=int, help=f"port to listen on (default: ${PORT_ENV}, else 8000)"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        help=f"where the hub keeps its state (default: ${STATE_DIR_ENV}, else ./.state/hub)",
    )
    parser.add_argument(
        "-f",
        "--config",
        type=Path,
        help="a JupyterHub configuration file to use instead of the installed"
        f" {CONFIG_FILE_NAME}; set c.EmbeddedHub.<name> there and end it, like the"
        " installed one, with EmbeddedHub(config=c).apply(c)",
    )
    return parser.parse_known_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the hub until it is stopped; ``argv`` defaults to the command line."""
    options, jupyterhub_args = parse_args(argv)
    # jupyterhub_config.py cannot see this command line; the environment reaches it.
    if options.ip is not None:
        os.environ[IP_ENV] = options.ip
    if options.port is not None:
        os.environ[PORT_ENV] = str(options.port)
    if options.state_dir is not None:
        os.environ[STATE_DIR_ENV] = str(options.state_dir.absolute())
    config_file = options.config.absolute() if options.config else find_config_file()
    EmbeddedJupyterHub.launch_instance(["--config", str(config_file), *jupyterhub_args])
    return 0
