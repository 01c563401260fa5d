"""What every platform route shares: authentication, JSON errors, paths.

Handlers stay a few lines each: read the request, call one service method,
``finish`` JSON. Errors are raised by services as ``PlatformError`` and turned
into ``{"error": {"code", "message"}}`` here, in one place, with the status the
error names. Nothing reaches a client as a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web
from tornado.ioloop import IOLoop

from .access import Access
from .errors import BadRequest, PlatformError
from .permissions import PermissionService

API_PREFIX = "dl/api"

T = TypeVar("T")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable",
    503: "store_unavailable",
}


def api_path(*parts: str) -> str:
    """A route pattern under the platform prefix, e.g. ``api_path("info")``."""
    return "/".join([f"/{API_PREFIX}", *parts])


#: Methods that read; any other method changes what the route names.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: How a host tells the handlers who is asking: from the authenticated user (the
#: server's ``current_user``) to their standing. Without one, every request has the
#: whole store (a single-user server is its user's own platform).
AccessResolver = Callable[[Any], Awaitable[Access]]


class PlatformHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every ``/dl/api`` handler.

    ``guards`` maps the route's path arguments to the kind of record they name
    (``{"run_id": "run"}``); before any method runs, each named record is checked
    against the caller's :attr:`access`: reading for GET, changing for the rest.
    """

    guards: ClassVar[dict[str, str]] = {}
    _access: Access | None = None

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        if self._finished or self.current_user is None or self.request.method == "OPTIONS":
            return  # @web.authenticated answers it
        resolve: AccessResolver | None = self.settings.get("dl_access")
        self._access = await resolve(self.current_user) if resolve else None
        if self.access.unrestricted:
            return
        write = self.request.method not in READ_METHODS
        for argument, kind in self.guards.items():
            key = self.path_kwargs.get(argument)
            if key is not None:
                await self.call(self.permissions.check, self.access, kind, key, write)

    @property
    def access(self) -> Access:
        """What the caller may see and change (:mod:`jupyter_dl.access`)."""
        return self._access or Access.everything(self.user_name)

    @property
    def permissions(self) -> PermissionService:
        service: PermissionService = self.settings["dl_permissions"]
        return service

    async def check(self, kind: str, key: str, write: bool = False) -> None:
        """Check a record the request names in its body or query, not its path."""
        if not self.access.unrestricted:
            await self.call(self.permissions.check, self.access, kind, key, write)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = _exception(kwargs)
        if isinstance(error, PlatformError):
            self.set_status(error.status)
            body = error.to_json()
        else:
            code = _CODES.get(status_code, "internal_error")
            if isinstance(error, web.HTTPError) and error.log_message and status_code < 500:
                message = error.log_message % error.args if error.args else error.log_message
            else:
                message = HTTPStatus(status_code).phrase
            body = {"error": {"code": code, "message": message}}
        self.set_header("Content-Type", "application/json")
        self.finish(body)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # A user's bad request is not a server fault: no traceback in the log.
        if isinstance(value, PlatformError):
            self.log.warning("%s %s: %s", self.request.method, self.request.uri, value.message)
        else:
            super().log_exception(typ, value, tb)

    @property
    def user_name(self) -> str | None:
        """Who is asking: the user the host's access resolver names, else the server's
        user (the hub user under JupyterHub), if known."""
        if self._access is not None:
            return self._access.user
        return (self.current_user.username if self.current_user else None) or None

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a (blocking) service call on a worker thread, so the event loop never waits."""
        return await IOLoop.current().run_in_executor(None, fn, *args)

    async def send_file(self, path: Path) -> None:
        """Stream a stored file (an artifact, a model's package file) as a download.

        Always ``application/octet-stream``: guessing a type from the system's list
        mislabels model files."""
        content_type = "application/octet-stream"
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f'attachment; filename="{path.name}"')
        self.set_header("Content-Length", str(path.stat().st_size))
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=content_type)

    def int_argument(self, name: str, default: int | None = None) -> int | None:
        """An integer query argument; a malformed one is a 400 naming it."""
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be an integer, not {raw!r}") from None

    def get_json_body(self) -> Any:
        """The request body as JSON; a malformed body is a 400 naming the problem."""
        try:
            return super().get_json_body()
        except web.HTTPError as e:
            raise BadRequest("the request body is not valid JSON") from e


class NotFoundHandler(PlatformHandler):
    """Any unknown ``/dl/api`` path: a JSON 404 instead of the HTML page."""

    def _not_found(self, *args: str) -> None:
        raise web.HTTPError(404, "no platform route at %s", self.request.path)

    get = post = put = patch = delete = web.authenticated(_not_found)


def _exception(kwargs: dict[str, Any]) -> BaseException | None:
    exc_info = kwargs.get("exc_info")
    return exc_info[1] if exc_info else None
