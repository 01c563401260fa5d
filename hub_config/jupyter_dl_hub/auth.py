"""Login for a hub on one machine: a demo admin with a password, nothing more.

JupyterHub's ``SharedPasswordAuthenticator`` already does the part that matters
(constant-time comparison, a long admin password); the embedded hub makes the
demo user its admin, so the demo password is that admin password. The one
addition is a password-free login for the demo user, which ``EmbeddedHub`` only
turns on for a hub that listens on a loopback address.
"""

from __future__ import annotations

from typing import Any

from jupyterhub.auth import Authenticator
from jupyterhub.authenticators.shared import SharedPasswordAuthenticator
from traitlets import Unicode

#: Upstream's rule for admin passwords, which the demo password is.
MIN_PASSWORD_LENGTH: int = SharedPasswordAuthenticator._ADMIN_PASSWORD_MIN_LENGTH


class DemoAuthenticator(SharedPasswordAuthenticator):  # type: ignore[misc]
    """``SharedPasswordAuthenticator`` plus an optional password-free demo user."""

    passwordless_user = Unicode(
        None,
        allow_none=True,
        help="""Name of a user who logs in as an admin with any password.

        For a hub that only this machine can reach. EmbeddedHub sets it when the
        demo password is empty, and refuses to start when the hub would listen on
        a non-loopback address at the same time.""",
    ).tag(config=True)

    def check_allow_config(self) -> None:
        """Say who can log in without a password instead of "nobody can log in"."""
        if not self.passwordless_user:
            super().check_allow_config()
            return
        # Skip SharedPasswordAuthenticator's checks: with no password set they
        # would wrongly report that nobody can log in.
        Authenticator.check_allow_config(self)
        self.log.warning(
            "%s.passwordless_user is set: %r logs in as an admin without a password.",
            self.__class__.__name__,
            self.passwordless_user,
        )

    async def authenticate(self, handler: Any, data: dict[str, str]) -> dict[str, Any] | None:
        username = self.normalize_username(data["username"])
        if self.passwordless_user and username == self.passwordless_user:
            return {"name": username, "admin": True, "groups": []}
        result: dict[str, Any] | None = await super().authenticate(handler, data)
        return result
