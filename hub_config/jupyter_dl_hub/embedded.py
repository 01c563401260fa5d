"""The embedded hub's settings, and how they become a JupyterHub configuration.

``jupyterhub_config.py`` only declares ``EmbeddedHub(config=c).apply(c)``; the
decisions live here, as traits, so they are documented, testable without a
running hub, and overridable like any other JupyterHub setting. Values that the
launcher chooses per run (address, port, state directory) reach this class
through environment variables, because a JupyterHub config file cannot see the
command line it was started with.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import sys
from pathlib import Path

from traitlets import Integer, List, Set, Unicode, default
from traitlets.config import Config, Configurable

from .auth import MIN_PASSWORD_LENGTH, DemoAuthenticator
from .platform import SERVICE_NAME as PLATFORM_SERVICE
from .profiles import ProfileError, ServerProfiles
from .quotas.settings import DB_URL_ENV, SERVICE_NAME, Quotas
from .quotas.store import QuotaStoreError
from .services import (
    TEAM_DB_URL_ENV,
    add_platform_service,
    add_quota_service,
    grant_access,
    service_url,
)
from .spawner import EmbeddedSpawner
from .state import default_state_dir, ensure_state_dir, read_or_create_secret

IP_ENV = "JUPYTER_DL_HUB_IP"
PORT_ENV = "JUPYTER_DL_HUB_PORT"
PASSWORD_ENV = "JUPYTER_DL_DEMO_PASSWORD"
ADMIN_TOKEN_ENV = "JUPYTER_DL_HUB_ADMIN_TOKEN"

LOOPBACK = "127.0.0.1"
PROXY_COMMAND = "configurable-http-proxy"
ADMIN_SERVICE = "jupyter-dl-admin"
#: The culler's service and role, named as Zero-to-JupyterHub names them.
CULLER_SERVICE = "jupyterhub-idle-culler"
#: What jupyterhub-idle-culler needs on JupyterHub 5: find servers, read their
#: activity, stop them.
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
#: How often (seconds) a user server tells the hub its last activity, unless the
#: spawner's environment says otherwise.
ACTIVITY_INTERVAL_ENV = "JUPYTERHUB_ACTIVITY_INTERVAL"
#: JupyterHub's own pace for those reports (and for reading the proxy's activity).
HUB_ACTIVITY_INTERVAL = 300


class EmbeddedHubError(Exception):
    """A setting the admin has to change before the hub can start; the message says how."""


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach ``host`` (an IP address or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # Empty (all interfaces) or a host name: assume others can reach it.
        return False


def public_url(host: str, port: int) -> str:
    """The URL a person types to reach a hub listening on ``host``:``port``."""
    if host in ("", "0.0.0.0", "::"):
        host = socket.gethostname()
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def find_proxy_command() -> list[str]:
    """``configurable-http-proxy``: on $PATH, beside this Python, or in a source checkout.

    The checkout's copy is what ``npm ci --prefix hub_config`` installs, so a
    developer does not need a global npm install.
    """
    candidates = [
        shutil.which(PROXY_COMMAND),
        Path(sys.executable).parent / PROXY_COMMAND,
        Path(__file__).resolve().parent.parent / "node_modules" / ".bin" / PROXY_COMMAND,
    ]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return [str(candidate)]
    raise EmbeddedHubError(
        f"{PROXY_COMMAND} was not found on PATH, beside {sys.executable}, or in "
        "hub_config/node_modules. Install it with `npm ci --prefix hub_config` in a "
        f"source checkout or `npm install -g {PROXY_COMMAND}`, or set "
        "EmbeddedHub.proxy_command."
    )


class EmbeddedHub(Configurable):
    """A complete JupyterHub for one machine: local servers, a demo admin, state in one place."""

    state_dir = Unicode(
        help="""Directory holding everything the hub writes: database, secrets, pid files,
        the demo password and the users' homes (users/<name>).

        Defaults to $JUPYTER_DL_HUB_STATE_DIR, else .state/hub under the current directory.""",
    ).tag(config=True)

    @default("state_dir")
    def _default_state_dir(self) -> str:
        return str(default_state_dir())

    ip = Unicode(
        help="""Address the hub listens on for browsers. Defaults to $JUPYTER_DL_HUB_IP,
        else 127.0.0.1 (this machine only).""",
    ).tag(config=True)

    @default("ip")
    def _default_ip(self) -> str:
        return os.environ.get(IP_ENV, LOOPBACK)

    port = Integer(
        help="Port the hub listens on for browsers. Defaults to $JUPYTER_DL_HUB_PORT, else 8000.",
    ).tag(config=True)

    @default("port")
    def _default_port(self) -> int:
        return int(os.environ.get(PORT_ENV, "8000"))

    proxy_api_port = Integer(
        help="Loopback port of the proxy's REST API. Defaults to port + 1, as the proxy does.",
    ).tag(config=True)

    @default("proxy_api_port")
    def _default_proxy_api_port(self) -> int:
        return self.port + 1

    hub_api_port = Integer(
        help="""Loopback port of the hub's REST API, which the proxy and the user servers
        call. Defaults to port + 2: fixed rather than random, so that servers left running
        by a hub that crashed can reach the hub once it is restarted.""",
    ).tag(config=True)

    @default("hub_api_port")
    def _default_hub_api_port(self) -> int:
        return self.port + 2

    quotas_port = Integer(
        help=f"""Loopback port of the quota service ('{SERVICE_NAME}'), reached through the
        proxy at /services/{SERVICE_NAME}/. Defaults to port + 3: fixed, so that servers
        left running by a hub that crashed still find it.""",
    ).tag(config=True)

    @default("quotas_port")
    def _default_quotas_port(self) -> int:
        return self.port + 3

    team_db_url = Unicode(
        help=f"""SQLAlchemy URL of the team's platform store (a PostgreSQL URL,
        ``postgresql+psycopg://user:password@host/db``, needs the ``team`` extra).

        When set, the hub runs the platform API as the service '{PLATFORM_SERVICE}'
        on this store, and every server it spawns uses it: projects and runs,
        datasets and models are shared by the team, each private to its owner
        until shared with a group. Defaults to ${TEAM_DB_URL_ENV}; empty means
        each server keeps its own store.""",
    ).tag(config=True)

    @default("team_db_url")
    def _default_team_db_url(self) -> str:
        return os.environ.get(TEAM_DB_URL_ENV, "")

    team_data_dir = Unicode(
        help="""Where the team's platform service keeps run artifacts, the dataset
        repository and its DVC remote, and the model registry's packages. Defaults to
        <state_dir>/team.""",
    ).tag(config=True)

    @default("team_data_dir")
    def _default_team_data_dir(self) -> str:
        return str(Path(self.state_dir) / "team")

    platform_port = Integer(
        help=f"""Loopback port of the platform service ('{PLATFORM_SERVICE}'), reached
        through the proxy at /services/{PLATFORM_SERVICE}/. Defaults to port + 4.""",
    ).tag(config=True)

    @default("platform_port")
    def _default_platform_port(self) -> int:
        return self.port + 4

    demo_user = Unicode(
        "demo",
        help="The user who logs in with the demo password, as an admin.",
    ).tag(config=True)

    demo_password = Unicode(
        help=f"""Password of the demo user (and of every admin in admin_users).

        Defaults to ${PASSWORD_ENV} when set, else a random password generated once and
        kept in <state_dir>/demo-password. At least {MIN_PASSWORD_LENGTH} characters,
        the rule for admin passwords. Empty means no password at all, which is only
        accepted when the hub listens on a loopback address.""",
    ).tag(config=True)

    @default("demo_password")
    def _default_demo_password(self) -> str:
        if PASSWORD_ENV in os.environ:
            return os.environ[PASSWORD_ENV]
        return read_or_create_secret(self.demo_password_file)

    admin_users = Set(
        Unicode(),
        help="More admins besides the demo user; they log in with the demo password.",
    ).tag(config=True)

    admin_api_token = Unicode(
        help=f"""API token with the admin role, for scripts and tests driving the hub's REST API.

        Defaults to ${ADMIN_TOKEN_ENV}; empty declares no token. The token belongs to
        the service '{ADMIN_SERVICE}', so it keeps working whoever logs in.""",
    ).tag(config=True)

    @default("admin_api_token")
    def _default_admin_api_token(self) -> str:
        return os.environ.get(ADMIN_TOKEN_ENV, "")

    cull_idle_timeout = Integer(
        3600,
        help="""Seconds a server may stay idle before jupyterhub-idle-culler stops it, so
        that idle GPU servers give their GPUs back; 0 turns culling off.

        Idle means no request to the server, no kernel or terminal activity, and no
        training job, sweep or deployment running on its machine: the jupyter-dl server
        extension reports those as activity (c.JupyterDL.activity_interval), so a
        server is never stopped mid-training.""",
    ).tag(config=True)

    cull_every = Integer(
        help="""Seconds between the culler's looks at the servers. Defaults to half of
        cull_idle_timeout, at most 300 (Zero-to-JupyterHub's pace).""",
    ).tag(config=True)

    @default("cull_every")
    def _default_cull_every(self) -> int:
        return max(1, min(HUB_ACTIVITY_INTERVAL, self.cull_idle_timeout // 2))

    cull_max_age = Integer(
        0,
        help="""Seconds after its start at which the culler stops a server even if it is
        active (and its job with it); 0, the default, never does.""",
    ).tag(config=True)

    proxy_command = List(
        Unicode(),
        help=f"""Command that starts {PROXY_COMMAND}. Defaults to the first one found on
        PATH, beside the hub's Python, or in hub_config/node_modules of a checkout.""",
    ).tag(config=True)

    @default("proxy_command")
    def _default_proxy_command(self) -> list[str]:
        return find_proxy_command()

    @property
    def state_path(self) -> Path:
        return Path(self.state_dir).absolute()

    @property
    def demo_password_file(self) -> Path:
        return self.state_path / "demo-password"

    @property
    def url(self) -> str:
        return public_url(self.ip, self.port)

    def check(self) -> None:
        """Refuse settings that would expose the hub or that it cannot use, naming the
        setting to change."""
        for name in ("cull_idle_timeout", "cull_every", "cull_max_age"):
            if getattr(self, name) < 0:
                raise EmbeddedHubError(
                    f"c.EmbeddedHub.{name} is {getattr(self, name)}; it takes a number of"
                    " seconds, or 0 to turn it off."
                )
        try:
            # A malformed profile stops the hub now, not the first spawn that reads it.
            ServerProfiles(parent=self).load()
        except ProfileError as error:
            raise EmbeddedHubError(f"c.ServerProfiles.profiles: {error}") from None
        if not self.demo_password:
            if not is_loopback(self.ip):
                raise EmbeddedHubError(
                    f"Refusing to start: the hub would listen on {self.ip or 'all addresses'!r},"
                    " which other machines can reach, and the demo password is empty, so"
                    f" anyone could log in as {self.demo_user!r}, an admin. Set"
                    f" {PASSWORD_ENV} to a password of at least {MIN_PASSWORD_LENGTH}"
                    " characters (or unset it to have one generated), or listen on"
                    f" {LOOPBACK}."
                )
        elif len(self.demo_password) < MIN_PASSWORD_LENGTH:
            raise EmbeddedHubError(
                f"The demo password has {len(self.demo_password)} characters; the demo user"
                f" is an admin and admin passwords need at least {MIN_PASSWORD_LENGTH}."
                f" Set {PASSWORD_ENV} to a longer one, or unset it to have one generated"
                f" and kept in {self.demo_password_file}."
            )

    def apply(self, c: Config) -> None:
        """Check the settings, then write them into JupyterHub's config ``c``."""
        self.check()
        state = ensure_state_dir(self.state_path)
        c.JupyterHub.ip = self.ip
        c.JupyterHub.port = self.port
        c.JupyterHub.hub_ip = LOOPBACK
        c.JupyterHub.hub_port = self.hub_api_port
        c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
        c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
        c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
        self._apply_proxy(c, state)
        self._apply_login(c)
        self._apply_spawner(c, state)
        if self.admin_api_token:
            self._apply_admin_token(c)
        # Every user, and every server's own token, may use the quota and platform
        # services besides the server itself.
        access = [self._apply_quotas(c, state)]
        if self.team_db_url:
            access.append(self._apply_platform(c))
        grant_access(c, "EmbeddedSpawner", access)
        if self.cull_idle_timeout:
            self._apply_culler(c)

    def _apply_proxy(self, c: Config, state: Path) -> None:
        c.ConfigurableHTTPProxy.command = self.proxy_command
        c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{self.proxy_api_port}"
        c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
        # Kept like the hub's other secrets rather than generated at each start, so
        # a proxy run separately (ConfigurableHTTPProxy.should_start = False) can be
        # given the same token.
        c.ConfigurableHTTPProxy.auth_token = read_or_create_secret(state / "proxy-auth-token")

    def _apply_login(self, c: Config) -> None:
        admins = {self.demo_user, *self.admin_users}
        c.JupyterHub.authenticator_class = DemoAuthenticator
        c.DemoAuthenticator.admin_users = admins
        c.DemoAuthenticator.allowed_users = {self.demo_user}
        # Users an admin adds through the REST API or the admin page are allowed too.
        c.DemoAuthenticator.allow_existing_users = True
        if self.demo_password:
            c.DemoAuthenticator.admin_password = self.demo_password
        else:
            c.DemoAuthenticator.passwordless_user = self.demo_user

    def _apply_spawner(self, c: Config, state: Path) -> None:
        c.JupyterHub.spawner_class = EmbeddedSpawner
        c.EmbeddedSpawner.home_dir_template = str(state / "users" / "{username}")
        # Several servers per user (a CPU one beside a GPU one); how many at once is
        # the quotas' max_servers.
        c.JupyterHub.allow_named_servers = True

    def _apply_admin_token(self, c: Config) -> None:
        c.JupyterHub.services.append({"name": ADMIN_SERVICE, "api_token": self.admin_api_token})
        c.JupyterHub.load_roles.append({"name": "admin", "services": [ADMIN_SERVICE]})

    def _apply_quotas(self, c: Config, state: Path) -> str:
        """Quotas checked at each spawn, and the quota service (page, REST API, the
        periodic warnings and stops) with the permissions it and its users need;
        returns the scope that lets users and servers use the service."""
        if "db_url" not in c.Quotas and DB_URL_ENV not in os.environ:
            c.Quotas.db_url = f"sqlite:///{state / 'quotas.sqlite'}"
        profiles = ServerProfiles(config=c).load()
        settings = Quotas(config=c).settings([(p.slug, p.display_name) for p in profiles])
        url = f"http://{LOOPBACK}:{self.quotas_port}"
        try:
            access = add_quota_service(
                c,
                settings,
                url,
                admin_users={self.demo_user, *self.admin_users},
                admin_services=[ADMIN_SERVICE] if self.admin_api_token else [],
            )
        except QuotaStoreError as error:
            raise EmbeddedHubError(str(error)) from None
        c.EmbeddedSpawner.quota_service_url = service_url(url, SERVICE_NAME)
        return access

    def _apply_platform(self, c: Config) -> str:
        """The platform API as a service on the team's store, and servers that use it;
        returns the scope that lets users and servers use the service."""
        from jupyter_dl.errors import StoreUnavailable
        from jupyter_dl.tracking.client import API_URL_ENV

        url = f"http://{LOOPBACK}:{self.platform_port}"
        try:
            access = add_platform_service(
                c,
                self.team_db_url,
                Path(self.team_data_dir).absolute(),
                url,
                setting="c.EmbeddedHub.team_db_url",
            )
        except StoreUnavailable as error:
            raise EmbeddedHubError(error.message) from None
        environment = c.EmbeddedSpawner.environment
        environment.update({API_URL_ENV: service_url(url, PLATFORM_SERVICE)})
        return access

    def _apply_culler(self, c: Config) -> None:
        """jupyterhub-idle-culler as a service the hub starts, with the role it needs;
        and servers that report their activity often enough for its timeout."""
        command = [
            sys.executable,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={self.cull_idle_timeout}",
            f"--cull-every={self.cull_every}",
        ]
        if self.cull_max_age:
            command.append(f"--max-age={self.cull_max_age}")
        c.JupyterHub.services.append({"name": CULLER_SERVICE, "command": command})
        c.JupyterHub.load_roles.append(
            {
                "name": CULLER_SERVICE,
                "description": "Stops servers idle for longer than EmbeddedHub.cull_idle_timeout.",
                "scopes": list(CULLER_SCOPES),
                "services": [CULLER_SERVICE],
            }
        )
        # A server reports its activity every 5 minutes by default: with a shorter
        # timeout an active server would be culled between two reports.
        environment = c.EmbeddedSpawner.environment
        if not (isinstance(environment, dict) and ACTIVITY_INTERVAL_ENV in environment):
            interval = max(1, min(HUB_ACTIVITY_INTERVAL, self.cull_idle_timeout // 4))
            environment.update({ACTIVITY_INTERVAL_ENV: str(interval)})

    def login_instructions(self) -> str:
        """What the launcher prints once the hub is up: where to go and how to log in."""
        return "\n".join(
            [
                "",
                f"    jupyter-dl hub: {self.url}",
                f"    user:     {self.demo_user}",
                f"    password: {self._password_hint()}",
                "",
            ]
        )

    def _password_hint(self) -> str:
        if not self.demo_password:
            return "none, any password works (this machine only)"
        if PASSWORD_ENV in os.environ:
            return f"the value of ${PASSWORD_ENV}"
        try:
            stored = self.demo_password_file.read_text().strip()
        except FileNotFoundError:
            stored = ""
        if stored == self.demo_password:
            return f"{self.demo_password}  (kept in {self.demo_password_file})"
        return "as set in EmbeddedHub.demo_password"
