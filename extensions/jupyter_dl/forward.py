"""A user server pointed at the team's platform service forwards what a team shares.

Projects and runs, datasets and models then live in the team's store, shown to
each user as far as ``jupyter_dl.access`` allows; the service checks every
request as the server's user (the server's JupyterHub token, which carries access
to the service). Jobs, sweeps and deployments stay on the server: they are
processes on its machine. The panels talk to ``/dl/api`` as always, unaware of
where each route is answered.
"""

from __future__ import annotations

from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .errors import StoreUnavailable
from .web import PlatformHandler, api_path

#: The first path segment of every route a team shares.
SHARED_ROUTES = ("projects", "runs", "compare", "datasets", "models")
#: Response headers worth passing on (the rest describe the service's own connection).
PASSED_HEADERS = ("Content-Type", "Content-Disposition", "Cache-Control", "ETag")
#: Request bodies as large as an artifact upload (the service limits them itself).
MAX_BODY = 1024**3


class ForwardHandler(PlatformHandler):
    """Sends the request on to the platform service and its answer back."""

    @web.authenticated
    async def get(self, path: str) -> None:
        await self._forward(path)

    post = put = patch = delete = get

    async def _forward(self, path: str) -> None:
        base: str = self.settings["dl_platform_url"]
        url = f"{base.rstrip('/')}/dl/api/{path}"
        if self.request.query:
            url += f"?{self.request.query}"
        headers = {"Authorization": f"token {self.settings['dl_platform_token']}"}
        content_type = self.request.headers.get("Content-Type")
        if content_type:
            headers["Content-Type"] = content_type
        method = self.request.method or "GET"
        request = HTTPRequest(
            url,
            method=method,
            headers=headers,
            # tornado wants a body (perhaps empty) with these methods, and none without.
            body=self.request.body if method in ("POST", "PUT", "PATCH") else None,
            request_timeout=300,
            follow_redirects=False,
            allow_nonstandard_methods=True,
        )
        try:
            response = await AsyncHTTPClient(max_body_size=MAX_BODY).fetch(
                request, raise_error=False
            )
        except OSError as error:
            raise StoreUnavailable(f"cannot reach the team's platform at {base}: {error}") from None
        if response.code == 599:
            raise StoreUnavailable(f"cannot reach the team's platform at {base}: {response.error}")
        self.set_status(response.code)
        for name in PASSED_HEADERS:
            if name in response.headers:
                self.set_header(name, response.headers[name])
        self.finish(response.body or b"")


def forward_handlers() -> list[tuple[str, type[PlatformHandler]]]:
    """The routes answered by the platform service, ahead of the local ones."""
    shared = "|".join(SHARED_ROUTES)
    return [(api_path(rf"(?P<path>(?:{shared})(?:/.*)?)"), ForwardHandler)]
