"""Who is asking the platform service, and what they may do there.

Identity comes from JupyterHub: a token (``Authorization: token ...``, what user
servers and kernels send) or the OAuth cookie of a browser, checked by JupyterHub's
own identity provider for Jupyter servers. Standing (groups, admin) comes from the
hub's REST API with the service's token, cached briefly, so a group change applies
within a minute and a token never needs more than access to this service.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.authorizer import Authorizer
from jupyterhub.singleuser.extension import JupyterHubIdentityProvider

from jupyter_dl.access import Access
from jupyter_dl.web import PlatformHandler

from ..hubclient import HubClient


class TeamIdentityProvider(JupyterHubIdentityProvider):  # type: ignore[misc]
    """JupyterHub OAuth for the platform service (tokens and browser logins)."""


class PlatformAuthorizer(Authorizer):
    """Nothing but the platform API: every other Jupyter route of this server (there are
    few; see :class:`.app.PlatformServerApp`) is refused, whoever asks."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return isinstance(handler, PlatformHandler)


def access_resolver(hub: HubClient) -> Any:
    """The ``dl_access`` setting of the platform handlers: a hub user's standing."""

    async def resolve(user: Any) -> Access:
        name = user.username
        known = await hub.users()
        hub_user = known.get(name)
        if hub_user is None:  # a user added since the last look
            hub_user = await hub.user(name)
        if hub_user is None:
            return Access(name)
        return Access(name, frozenset(hub_user.groups), hub_user.admin)

    return resolve
