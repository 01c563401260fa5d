"""The quota service: a small tornado application the hub starts and proxies.

JupyterHub runs it as a managed service (``c.JupyterHub.services``, set up by
``EmbeddedHub``) and passes it, in the environment, its URL, prefix, API token
and OAuth client; the hub hands it the quota settings as one JSON variable
(:data:`.settings.SETTINGS_ENV`). It serves the admin page and the REST API
(:mod:`.handlers`) and runs the periodic check (:mod:`.enforce`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tornado import web
from tornado.ioloop import PeriodicCallback

from ..hubclient import HubClient
from .enforce import Enforcer
from .handlers import default_handlers
from .ledger import QuotaLedger
from .settings import LISTEN_IP_ENV, QuotaSettings
from .store import open_store

TEMPLATES = Path(__file__).parent / "templates"

log = logging.getLogger("jupyter_dl_hub.quotas")


def template_renderer() -> Any:
    """Render a template of this package, with HTML escaping on."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"])
    )

    def render(name: str, **context: Any) -> str:
        return environment.get_template(name).render(**context)

    return render


def make_app(
    ledger: QuotaLedger, hub: HubClient, prefix: str, cookie_secret: bytes | str
) -> web.Application:
    """The service's application under ``prefix`` (``/services/<name>/``)."""
    return web.Application(
        default_handlers(prefix),
        ledger=ledger,
        hub=hub,
        enforcer=Enforcer(ledger, hub),
        prefix=prefix,
        render=template_renderer(),
        cookie_secret=cookie_secret,
    )


async def serve(settings: QuotaSettings) -> None:
    """Listen where the hub expects the service and check budgets periodically, until
    SIGTERM or SIGINT (the hub stops its services with SIGTERM)."""
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    ledger = QuotaLedger(open_store(settings.db_url), settings)
    hub = HubClient(os.environ["JUPYTERHUB_API_URL"], os.environ["JUPYTERHUB_API_TOKEN"])
    app = make_app(ledger, hub, prefix, os.urandom(32))
    host = os.environ.get(LISTEN_IP_ENV) or url.hostname or "127.0.0.1"
    server = app.listen(url.port or 80, host, xheaders=True)
    enforcer: Enforcer = app.settings["enforcer"]

    async def check() -> None:
        try:
            outcome = await enforcer.check()
        except Exception as error:
            # The hub may be restarting; the next round tries again.
            log.error("Quota check failed: %s", error)
            return
        if outcome.reconciled or outcome.warned or outcome.stopped:
            log.info("Quota check: %s", outcome.to_json())

    periodic = PeriodicCallback(check, settings.check_interval * 1000)
    periodic.start()
    log.info(
        "GPU quotas at %s (prefix %s), database %s", url.geturl(), prefix, ledger.store.location
    )
    # A first check once the hub has had time to list its servers.
    asyncio.get_running_loop().call_later(
        min(5.0, settings.check_interval), lambda: asyncio.ensure_future(check())
    )

    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    # A hub killed outright cannot stop its services; one left behind would hold the
    # port the restarted hub's service needs. Leave with the hub.
    hub_pid = os.getppid()

    def leave_with_the_hub() -> None:
        if os.getppid() != hub_pid:
            log.warning("The hub (pid %s) is gone; stopping.", hub_pid)
            stopped.set()

    orphaned = PeriodicCallback(leave_with_the_hub, 2000)
    orphaned.start()
    await stopped.wait()
    orphaned.stop()
    periodic.stop()
    server.stop()


def main() -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="[%(levelname)1.1s %(asctime)s.%(msecs).03d jupyter-dl-quotas] %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    asyncio.run(serve(QuotaSettings.from_env()))
    return 0
