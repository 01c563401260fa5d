"""The user server's side of quotas: ``GET /dl/hub/quota`` relays the user's own
quota from the hub's quota service to the lab's status bar.

Why a relay rather than the browser asking the service itself: the service is
on the same origin as every user's server, so JupyterHub makes script requests
authenticated by cookie prove an XSRF token that only the service's own pages
can read. The user's server holds a token that may read its user's quota
(``$JUPYTERHUB_API_TOKEN``) and knows where the service is
(``$JUPYTER_DL_QUOTAS_URL``), both passed by the spawner; the lab asks its own
server, with the usual Jupyter authentication, and the token never reaches the
browser.

A Jupyter server extension enabled by ``jupyter-config/jupyter_server_config.d``;
outside a hub the route answers 404 saying so.
"""

from __future__ import annotations

import json
import os
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.ioloop import IOLoop

from .client import QuotaClient, QuotaClientError, service_url
from .settings import SERVICE_URL_ENV

#: Outside /dl/api, whose unknown paths the platform answers with its own 404.
ROUTE = "dl/hub/quota"


class QuotaRelayHandler(APIHandler):
    """The quota of this server's user, as the quota service's ``api/me`` answers it."""

    @web.authenticated
    async def get(self) -> None:
        token = os.environ.get("JUPYTERHUB_API_TOKEN")
        if not token or not os.environ.get(SERVICE_URL_ENV):
            self._error(
                404, "no_quota_service", "This server was not started by the jupyter-dl hub."
            )
            return
        client = QuotaClient(service_url(), token, timeout=10)
        try:
            # urllib blocks: a worker thread keeps the server answering meanwhile.
            status = await IOLoop.current().run_in_executor(None, client.me)
        except QuotaClientError as error:
            self._error(error.status or 502, "quota_service_error", str(error))
            return
        self.finish(json.dumps(status))

    def _error(self, status: int, code: str, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"error": {"code": code, "message": message}}))


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "jupyter_dl_hub.quotas.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    route = url_path_join(web_app.settings["base_url"], ROUTE)
    web_app.add_handlers(".*$", [(route, QuotaRelayHandler)])
