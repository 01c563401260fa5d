"""The quota service's handlers: the admin page and the REST API, thin over the ledger.

Who may do what is decided by hub scopes, never by a list kept here:

- any user (a browser with the service's OAuth cookie, or a token with
  ``access:services!service=jupyter-dl-quotas``) reads their own quota
  (``api/me``) and sees their own quota on the page;
- holders of ``custom:jupyter-dl:quotas:admin`` (the ``jupyter-dl-quota-admins``
  role) set limits, read anyone's usage and run a check.

Errors are the platform's typed errors, written as ``{"error": {"code",
"message"}}`` in one place (:meth:`QuotaHandler.write_error`).
"""

from __future__ import annotations

import json
import logging
import math
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated, UserNotAllowed
from tornado import web

from jupyter_dl.errors import BadRequest, PlatformError

from ..hubclient import HubClient, HubUnavailable
from .enforce import Enforcer
from .ledger import QuotaLedger
from .page import page_context
from .policy import Limits, limits_to_json
from .settings import ADMIN_SCOPE

log = logging.getLogger("jupyter_dl_hub.quotas")

DAY = 86400.0


class Forbidden(PlatformError):
    """The caller is known but lacks the scope this needs."""

    code = "forbidden"
    status = 403


class NotAUser(PlatformError):
    """A service token asked for "my" quota; only users have one."""

    code = "not_a_user"
    status = 400


class QuotaHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]
    """Identifies the caller through the hub (token or OAuth cookie) before each request."""

    @property
    def ledger(self) -> QuotaLedger:
        ledger: QuotaLedger = self.settings["ledger"]
        return ledger

    @property
    def hub(self) -> HubClient:
        hub: HubClient = self.settings["hub"]
        return hub

    @property
    def enforcer(self) -> Enforcer:
        enforcer: Enforcer = self.settings["enforcer"]
        return enforcer

    async def prepare(self) -> None:
        # Asked here, awaited, rather than in tornado's synchronous get_current_user,
        # so that a slow hub does not block the service's other requests.
        model = await self.hub_auth.get_user(self, sync=False)
        user = None
        if model:
            try:
                user = self.check_hub_user(model)
            except UserNotAllowed:
                raise Forbidden(f"{model['name']} may not use this service.") from None
        self.current_user = user

    @property
    def user_model(self) -> dict[str, Any]:
        user: dict[str, Any] | None = self.current_user
        if user is None:
            raise web.HTTPError(403)
        return user

    @property
    def is_quota_admin(self) -> bool:
        return self.current_user is not None and ADMIN_SCOPE in self.user_model.get("scopes", [])

    def require_admin(self) -> None:
        if not self.is_quota_admin:
            raise Forbidden(
                f"This needs the scope {ADMIN_SCOPE} (the role jupyter-dl-quota-admins):"
                " only quota admins set limits and read other people's usage."
            )

    def body(self) -> dict[str, Any]:
        try:
            value = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadRequest("The body must be a JSON object.") from None
        if not isinstance(value, dict):
            raise BadRequest("The body must be a JSON object.")
        return value

    def write_json(self, value: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(value))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, PlatformError):
            body = error.to_json()
        elif isinstance(error, HubUnavailable):
            body = {"error": {"code": "hub_unavailable", "message": str(error)}}
        elif isinstance(error, web.HTTPError):
            message = error.log_message or self._reason
            body = {"error": {"code": f"http_{status_code}", "message": message}}
        else:
            body = {"error": {"code": "internal", "message": "The quota service failed."}}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # A refused request is the caller's to fix, not a fault: no traceback.
        if isinstance(value, PlatformError | HubUnavailable):
            log.warning("%s %s: %s", self.request.method, self.request.uri, value)
        else:
            super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(error, PlatformError):
            status_code = error.status
        elif isinstance(error, HubUnavailable):
            status_code = 502
        super().send_error(status_code, **kwargs)


class ApiHandler(QuotaHandler):
    """REST: a caller the hub does not know gets a 403 in JSON, never a login redirect."""

    def get_login_url(self) -> str:
        raise Forbidden(
            "Authenticate with a hub token (Authorization: token ...) that may access"
            " this service, or through the hub's login."
        )

    def check_caller(self) -> None:
        if self.current_user is None:
            self.get_login_url()


class MeHandler(ApiHandler):
    """``GET api/me``: the caller's limits, use, budget and notices.

    A browser without the service's cookie yet (the lab's status bar) is sent
    through the hub's OAuth once and comes back here.
    """

    async def get(self) -> None:
        if self.current_user is None:
            if "Authorization" not in self.request.headers:
                self.redirect(QuotaHandler.get_login_url(self))
                return
            self.check_caller()
        user = self.user_model
        if user.get("kind", "user") != "user":
            raise NotAUser(
                f"{user['name']} is a {user.get('kind')}: only users have a quota; admins"
                " read a user's with GET api/users/<name>."
            )
        self.write_json(self.ledger.status(user["name"], user.get("groups") or []))


class UserStatusHandler(ApiHandler):
    """``GET api/users/<name>``: any user's limits, use and budget (quota admins)."""

    async def get(self, name: str) -> None:
        self.check_caller()
        self.require_admin()
        hub_user = await self.hub.user(name)
        groups = hub_user.groups if hub_user is not None else ()
        status = self.ledger.status(name, groups)
        status["known_to_hub"] = hub_user is not None
        self.write_json(status)


class LimitsListHandler(ApiHandler):
    """``GET api/limits?kind=&limit=&cursor=``: the limits set, a page at a time."""

    async def get(self) -> None:
        self.check_caller()
        self.require_admin()
        kind = _kind(self.get_argument("kind", "")) if self.get_argument("kind", "") else None
        items, cursor = self.ledger.list_limits(
            kind, _int(self, "limit", 100), self.get_argument("cursor", None)
        )
        self.write_json({"items": items, "next_cursor": cursor})


class LimitsHandler(ApiHandler):
    """``api/limits/users/<name>`` and ``api/limits/groups/<name>``: read, replace
    (PUT), update (PATCH) or remove (DELETE) the limits of one user or group."""

    async def get(self, kinds: str, name: str) -> None:
        self.check_caller()
        self.require_admin()
        kind = _kind(kinds)
        limits = self.ledger.get_limits(kind, name)
        self.write_json(_limits_body(kind, name, limits))

    async def put(self, kinds: str, name: str) -> None:
        await self._set(kinds, name, merge=False)

    async def patch(self, kinds: str, name: str) -> None:
        await self._set(kinds, name, merge=True)

    async def _set(self, kinds: str, name: str, *, merge: bool) -> None:
        self.check_caller()
        self.require_admin()
        kind = _kind(kinds)
        self.ledger.set_limits(kind, name, self.body(), by=self.user_model["name"], merge=merge)
        log.info("%s set the limits of %s %s", self.user_model["name"], kind, name)
        self.write_json(_limits_body(kind, name, self.ledger.get_limits(kind, name)))

    async def delete(self, kinds: str, name: str) -> None:
        self.check_caller()
        self.require_admin()
        self.ledger.delete_limits(_kind(kinds), name)
        self.set_status(204)
        self.finish()


class UsageHandler(ApiHandler):
    """``GET api/usage?since=&until=&by=user|group&limit=&cursor=``: GPU-hours per user
    or group over a period, most first (quota admins)."""

    async def get(self) -> None:
        self.check_caller()
        self.require_admin()
        now = self.ledger.clock()
        since = _time(self.get_argument("since", ""), "since", now - 7 * DAY)
        until = _time(self.get_argument("until", ""), "until", now)
        by = self.get_argument("by", "user")
        rows = self.ledger.report(since, until, by)
        limit = _int(self, "limit", 100)
        offset = _int(self, "cursor", 0, minimum=0, maximum=math.inf)
        page = rows[offset : offset + limit]
        more = offset + limit < len(rows)
        self.write_json(
            {
                "since": _iso(since),
                "until": _iso(until),
                "by": by,
                "items": page,
                "next_cursor": str(offset + limit) if more else None,
            }
        )


class EnforceHandler(ApiHandler):
    """``POST api/enforce``: run the periodic check now (quota admins)."""

    async def post(self) -> None:
        self.check_caller()
        self.require_admin()
        outcome = await self.enforcer.check()
        self.write_json(outcome.to_json())


class PageHandler(QuotaHandler):
    """The page: everyone's usage, limits and their editing for quota admins; one's own
    quota for everyone else. Forms post back here with the hub's XSRF token."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(error, "message", None) or getattr(error, "log_message", None)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(message or self._reason)

    @web.authenticated
    async def get(self) -> None:
        context = await page_context(self)
        self.finish(self.settings["render"]("quotas.html", **context))

    @web.authenticated
    async def post(self) -> None:
        self.require_admin()
        action = self.get_body_argument("action", "")
        try:
            message = await self._act(action)
            query = {"done": message}
        except PlatformError as error:
            query = {"failed": error.message}
        days = self.get_body_argument("days", "")
        if days:
            query["days"] = days
        self.redirect(f"{self.settings['prefix']}?{urlencode(query)}")

    async def _act(self, action: str) -> str:
        kind = self.get_body_argument("kind", "")
        name = self.get_body_argument("name", "").strip()
        if action == "set":
            raw = {
                field: _form_value(self.get_body_argument(field, ""), field)
                for field in ("max_gpus", "gpu_hours", "period_days", "max_servers")
            }
            profiles = self.get_body_arguments("allowed_profiles")
            if self.get_body_argument("profiles_inherit", "") != "on":
                raw["allowed_profiles"] = "*" if "*" in profiles else profiles
            self.ledger.set_limits(kind, name, raw, by=self.user_model["name"])
            return f"Limits of {kind} {name} saved."
        if action == "delete":
            self.ledger.delete_limits(kind, name)
            return f"Limits of {kind} {name} removed: it inherits them again."
        if action == "check":
            outcome = await self.enforcer.check()
            return (
                f"Checked: {len(outcome.warned)} warned, {len(outcome.stopped)} servers stopped,"
                f" {len(outcome.reconciled)} records reconciled."
            )
        raise BadRequest(f"Unknown action {action!r}.")


def _kind(kinds: str) -> str:
    if kinds in ("user", "users"):
        return "user"
    if kinds in ("group", "groups"):
        return "group"
    raise BadRequest(f"Limits are set for 'users' or 'groups', not {kinds!r}.")


def _limits_body(kind: str, name: str, limits: Limits | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "name": name,
        "limits": None if limits is None else limits_to_json(limits),
    }


def _int(
    handler: web.RequestHandler,
    name: str,
    fallback: int,
    *,
    minimum: float = 1,
    maximum: float = 1000,
) -> int:
    raw = handler.get_argument(name, "")
    if raw == "":
        return fallback
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not {raw!r}.") from None
    if not minimum <= value <= maximum:
        raise BadRequest(f"{name} must be between {minimum:g} and {maximum:g}, not {value}.")
    return value


def _time(raw: str, name: str, fallback: float) -> float:
    """A time from a query: an ISO date or date-time (UTC unless it says otherwise)."""
    if not raw:
        return fallback
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(
            f"{name} must be a date such as 2026-11-01 or a date-time such as"
            f" 2026-11-01T08:00:00Z, not {raw!r}."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat().replace("+00:00", "Z")


def _form_value(raw: str, field: str) -> Any:
    """A limit typed in the page's form: empty inherits, a number, or 'unlimited'."""
    text = raw.strip().lower()
    if not text:
        return None
    if text in ("unlimited", "∞"):
        return "unlimited"
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        raise BadRequest(f"{field} must be a number or 'unlimited', not {raw!r}.") from None


def default_handlers(prefix: str) -> list[tuple[str, type[web.RequestHandler]]]:
    """The service's routes under its prefix (``/services/jupyter-dl-quotas/``)."""
    return [
        (prefix, PageHandler),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
        (prefix + "api/me", MeHandler),
        (prefix + "api/users/([^/]+)", UserStatusHandler),
        (prefix + "api/limits", LimitsListHandler),
        (prefix + "api/limits/(users|groups)/([^/]+)", LimitsHandler),
        (prefix + "api/usage", UsageHandler),
        (prefix + "api/enforce", EnforceHandler),
    ]
