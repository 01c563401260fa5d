"""The hub's own services, GPU quotas and the team's platform, declared once.

The embedded hub (:class:`~.embedded.EmbeddedHub`, on one machine's loopback)
and the Zero-to-JupyterHub values (:class:`~.kubespawner.KubernetesHub`, in the
hub's pod, behind the hub's Kubernetes Service) run the same two hub-managed
services with the same permissions. These functions write them into a
JupyterHub configuration, so each service's command, roles and scopes, and
what users and their servers' tokens may reach, are written down here only.

Each ``add_*`` function returns the scope that lets its callers use the
service; :func:`grant_access` gives those scopes to every user and to every
server's own token (``$JUPYTERHUB_API_TOKEN``, which kernels inherit), which is
how ``%dl_quota``, the status bar and a server pointed at the team's platform
reach them.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from traitlets.config import Config

from .platform import SERVICE_NAME as PLATFORM_SERVICE
from .quotas.settings import (
    ADMIN_ROLE,
    ADMIN_SCOPE,
    LISTEN_IP_ENV,
    SERVICE_NAME,
    SETTINGS_ENV,
    QuotaSettings,
)
from .quotas.store import open_store

TEAM_DB_URL_ENV = "JUPYTER_DL_TEAM_DB_URL"

#: What the quota service asks the hub: users, their groups and servers (to account
#: and check them), and stopping the servers of users whose GPU-hours ran out.
QUOTA_SERVICE_SCOPES = ["list:users", "read:users", "servers", "list:groups", "read:groups"]
#: What the platform service asks the hub: each caller's groups and admin flag.
PLATFORM_SCOPES = ["list:users", "read:users", "list:groups", "read:groups"]
#: What every user may do besides using the services: JupyterHub's own default.
USER_SCOPES = ["self"]
#: What a server's own token may do besides using the services: report its
#: activity and let its user in; the rest is JupyterHub's default "server" role.
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server"]


def access_scope(service: str) -> str:
    """The scope that lets its holder call ``service`` through the hub."""
    return f"access:services!service={service}"


def service_url(url: str, service: str) -> str:
    """Where servers reach ``service``, listening at ``url``, without the proxy."""
    return f"{url.rstrip('/')}/services/{service}/"


def add_quota_service(
    c: Config,
    settings: QuotaSettings,
    url: str,
    *,
    admin_users: Collection[str] = (),
    admin_groups: Collection[str] = (),
    admin_services: Collection[str] = (),
    listen_ip: str = "",
) -> str:
    """The quota service (page, REST API, periodic warnings and stops) listening at
    ``url``, its role, and the quota admins' role; returns the scope to use it.

    The quota database is created and migrated first, so one the hub cannot use
    stops the hub (:class:`~.quotas.store.QuotaStoreError`) rather than the first
    spawn. ``listen_ip`` is where the service listens when it is not ``url``'s host.
    """
    open_store(settings.db_url)
    environment = {SETTINGS_ENV: settings.to_json()}
    if listen_ip:
        environment[LISTEN_IP_ENV] = listen_ip
    c.JupyterHub.services.append(
        {
            "name": SERVICE_NAME,
            "url": url,
            "command": [sys.executable, "-m", "jupyter_dl_hub.quotas"],
            "environment": environment,
            "display": True,
            "oauth_no_confirm": True,
            # Browsers of quota admins get the admin scope in their token for the
            # service; everyone else only proves who they are.
            "oauth_client_allowed_scopes": [ADMIN_SCOPE],
        }
    )
    c.JupyterHub.custom_scopes.update(
        {ADMIN_SCOPE: {"description": "Set GPU quotas of users and groups, read all usage."}}
    )
    access = access_scope(SERVICE_NAME)
    admins: dict[str, object] = {
        "name": ADMIN_ROLE,
        "description": "Quota admins: set limits, read everyone's usage.",
        "scopes": [ADMIN_SCOPE, access],
        "users": sorted(admin_users),
        "services": sorted(admin_services),
    }
    if admin_groups:
        admins["groups"] = sorted(admin_groups)
    c.JupyterHub.load_roles.extend(
        [
            {
                "name": f"{SERVICE_NAME}-service",
                "description": "The quota service: reads users, groups and servers,"
                " stops servers whose GPU-hours ran out.",
                "scopes": list(QUOTA_SERVICE_SCOPES),
                "services": [SERVICE_NAME],
            },
            admins,
        ]
    )
    return access


def platform_environment(db_url: str, data_dir: Path) -> dict[str, str]:
    """The platform service's store and storage: the team's database, and run
    artifacts, datasets, models and jobs under ``data_dir``."""
    from jupyter_dl.paths import (
        ARTIFACTS_ENV,
        DATASET_REMOTE_ENV,
        DATASETS_ENV,
        JOBS_ENV,
        MODELS_ENV,
    )
    from jupyter_dl.paths import DB_URL_ENV as STORE_URL_ENV

    return {
        STORE_URL_ENV: db_url,
        ARTIFACTS_ENV: str(data_dir / "artifacts"),
        DATASETS_ENV: str(data_dir / "datasets" / "repo"),
        DATASET_REMOTE_ENV: str(data_dir / "datasets" / "remote"),
        MODELS_ENV: str(data_dir / "models"),
        JOBS_ENV: str(data_dir / "jobs"),
    }


def add_platform_service(
    c: Config,
    db_url: str,
    data_dir: Path,
    url: str,
    *,
    setting: str,
    listen_ip: str = "",
) -> str:
    """The platform API as the service ``jupyter-dl-platform`` on the team's store,
    listening at ``url``, and its role; returns the scope to use it.

    The store is created and migrated first, so a database the team cannot use
    stops the hub (``jupyter_dl.errors.StoreUnavailable``, naming ``setting``).
    """
    from jupyter_dl.store import Store

    Store(db_url, setting=setting).open().close()
    command = [sys.executable, "-m", "jupyter_dl_hub.platform"]
    if listen_ip:
        command.append(f"--ServerApp.ip={listen_ip}")
    c.JupyterHub.services.append(
        {
            "name": PLATFORM_SERVICE,
            "url": url,
            "command": command,
            "environment": platform_environment(db_url, data_dir),
            "oauth_no_confirm": True,
        }
    )
    c.JupyterHub.load_roles.append(
        {
            "name": f"{PLATFORM_SERVICE}-service",
            "description": "The team's platform service: reads users' groups and admin flag.",
            "scopes": list(PLATFORM_SCOPES),
            "services": [PLATFORM_SERVICE],
        }
    )
    return access_scope(PLATFORM_SERVICE)


def grant_access(c: Config, spawner: str, scopes: Sequence[str]) -> None:
    """Let every user, and every server's own token, use the services ``scopes`` name.

    ``spawner`` is the config section of the hub's spawner class, whose
    ``server_token_scopes`` are set.
    """
    c.JupyterHub.load_roles.append({"name": "user", "scopes": [*USER_SCOPES, *scopes]})
    c[spawner].server_token_scopes = [*SERVER_TOKEN_SCOPES, *scopes]
