"""Run the platform API as a hub-managed service: ``python -m jupyter_dl_hub.platform``.

JupyterHub starts it (``c.JupyterHub.services``, set up by ``EmbeddedHub`` or by
the Zero-to-JupyterHub values) with its URL, prefix, API token and OAuth client in
the environment. It is a Jupyter server with the ``jupyter_dl`` extension and
nothing else: JupyterHub's own identity provider, an authorizer that allows only
the platform routes, and none of the kernel, contents, files or terminal
services, so that a user of the platform can never run code on its machine.
The store and storage come from the ``JUPYTER_DL_*`` variables the hub passes
(``JUPYTER_DL_DB_URL`` a PostgreSQL URL for a team).
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Any
from urllib.parse import urlparse

from jupyter_server.serverapp import ServerApp
from traitlets import Dict

from ..hubclient import HubClient
from .identity import PlatformAuthorizer, TeamIdentityProvider, access_resolver


class PlatformServerApp(ServerApp):
    """A Jupyter server that serves the platform API only."""

    name = "jupyter-dl-platform"
    description = "The jupyter-dl platform API for a team, as a JupyterHub service"
    #: Login and logout only: no kernels, contents, files, terminals or sessions.
    default_services = ("auth",)  # type: ignore[assignment]

    jpserver_extensions = Dict(
        {"jupyter_dl": True},
        help="Extensions of this server: jupyter_dl only; no other is loaded.",
    ).tag(config=True)

    def init_server_extensions(self) -> None:
        # Extensions enabled in the environment's config files (JupyterLab, ...) do
        # not belong to this server.
        self.jpserver_extensions = {"jupyter_dl": True}
        super().init_server_extensions()

    def init_webapp(self) -> None:
        super().init_webapp()
        # As in JupyterHub's single-user servers: tornado's own XSRF check runs before
        # the user is known, so it would refuse token-authenticated calls; Jupyter's
        # check, after authentication, still guards cookie-authenticated ones.
        self.web_app.settings["xsrf_cookies"] = False
        hub = HubClient(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
        self.web_app.settings["dl_access"] = access_resolver(hub)


def server_arguments(environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Where the hub expects the service, as the server's command line."""
    url = urlparse(environ["JUPYTERHUB_SERVICE_URL"])
    prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    # An empty folder of its own: nothing of the machine's files is ever served.
    root = tempfile.mkdtemp(prefix="jupyter-dl-platform-")
    return [
        f"--ServerApp.ip={url.hostname or '127.0.0.1'}",
        f"--ServerApp.port={url.port or 80}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={prefix}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--ServerApp.allow_root=True",
        "--ServerApp.terminals_enabled=False",
        "--ServerApp.disable_check_xsrf=False",
        f"--ServerApp.identity_provider_class={_path(TeamIdentityProvider)}",
        f"--ServerApp.authorizer_class={_path(PlatformAuthorizer)}",
        "--ServerApp.trust_xheaders=True",
    ]


def _path(klass: type[Any]) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def main(argv: list[str] | None = None) -> int:
    arguments = server_arguments(os.environ) + list(sys.argv[1:] if argv is None else argv)
    PlatformServerApp.launch_instance(argv=arguments)
    return 0
