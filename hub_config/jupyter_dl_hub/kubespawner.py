"""The hub on Kubernetes: KubeSpawner with quotas, and jupyter-dl's part of a
Zero-to-JupyterHub hub.

Loaded only on Kubernetes: it imports ``kubespawner`` (the ``kubernetes`` extra).
``hub_config/z2jh/values.yaml`` runs ``KubernetesHub(config=c).apply(c)`` from
``hub.extraConfig``, after the chart's own configuration, which

- checks ``singleuser.profileList`` (a misspelt ``kubespawner_override`` key stops
  the hub, where KubeSpawner would ignore it);
- makes :class:`QuotaKubeSpawner` the spawner: every spawn is checked against the
  user's GPU quotas before any Kubernetes object is created, and accounted;
- runs the quota service and, with a team database, the platform service in the
  hub's pod, as the embedded hub runs them (:mod:`.services`), reached through the
  hub's Kubernetes Service on ports of their own;
- gives users and their servers' tokens access to both, and user pods their URLs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kubespawner import KubeSpawner  # type: ignore[import-untyped]
from slugify import slugify
from tornado import web
from traitlets import Integer, Set, Unicode, default
from traitlets.config import Config, Configurable

from .platform import SERVICE_NAME as PLATFORM_SERVICE
from .profiles import ProfileChoiceError, ServerProfiles, check_kubespawner_profile_list
from .quotas.policy import SpawnRequest
from .quotas.settings import SERVICE_NAME, Quotas
from .quotas.spawning import QuotaSpawner
from .quotas.store import QuotaStoreError
from .services import (
    TEAM_DB_URL_ENV,
    add_platform_service,
    add_quota_service,
    grant_access,
    service_url,
)

TEAM_DATA_DIR_ENV = "JUPYTER_DL_TEAM_DATA_DIR"
#: The chart mounts the hub's persistent volume here (its database lives there too).
HUB_VOLUME = "/srv/jupyterhub"
#: The services listen on every address of the hub's pod; their URLs name the
#: hub's Service, which is what the proxy and user pods reach.
ALL_ADDRESSES = "0.0.0.0"


class KubernetesHubError(Exception):
    """A setting the admin has to change before the hub can start; the message says how."""


def profile_names(profile_list: Any) -> list[tuple[str, str]]:
    """(slug, display name) of each entry of KubeSpawner's ``profile_list``, with the
    slug KubeSpawner gives an entry without one; none for a callable list."""
    if callable(profile_list) or not profile_list:
        return []
    entries = (
        [profile_list[key] for key in sorted(profile_list)]
        if isinstance(profile_list, Mapping)
        else profile_list
    )
    return [(e.get("slug") or slugify(e["display_name"]), e["display_name"]) for e in entries]


def check_profile_options(user_options: Mapping[str, Any], profile: Mapping[str, Any]) -> None:
    """Refuse options other than the profile and its own ``profile_options``.

    KubeSpawner ignores any other key, but the profile alone decides a server's
    resources, so a forged option (``{"gpus": 8}``) is refused rather than ignored,
    as on the embedded hub.
    """
    options = profile.get("profile_options") or {}
    allowed = {"profile", *options, *(f"{name}--unlisted-choice" for name in options)}
    unknown = sorted(set(user_options) - allowed)
    if unknown:
        own = f", or one of the profile's options ({', '.join(sorted(options))})" if options else ""
        raise ProfileChoiceError(
            f"Unknown server option {unknown[0]!r}: only 'profile' can be chosen{own}, and"
            " the profile decides the server's resources."
        )


def requested_gpus(resource_limits: Mapping[str, Any], gpu_resource: str) -> int:
    """The GPUs a pod with these ``extra_resource_limits`` asks for."""
    value = resource_limits.get(gpu_resource)
    return int(str(value)) if value not in (None, "") else 0


class QuotaKubeSpawner(QuotaSpawner, KubeSpawner):  # type: ignore[misc]
    """KubeSpawner whose spawns are checked against the GPU quotas and accounted.

    The check runs in ``load_user_options``, the first step of KubeSpawner's start,
    once KubeSpawner has applied the chosen profile and before any Kubernetes object
    (namespace, volume claim, pod) is created. The GPUs counted are those the pod
    will ask for: the ``ServerProfiles.gpu_resource`` (``nvidia.com/gpu``) of
    ``extra_resource_limits`` after the profile and its options were applied.
    """

    _applied_profile: Mapping[str, Any] | None = None
    _offered_profiles: Sequence[tuple[str, str]] = ()

    def quota_profiles(self) -> Sequence[tuple[str, str]]:
        return profile_names(self.profile_list) or self._offered_profiles

    def _load_profile(self, slug: str | None, profile_list: list[dict[str, Any]]) -> None:
        # KubeSpawner calls this with the profile list it validated and completed
        # (slugs, defaults): the one entry it applies is the one accounted.
        profile = self._get_profile(slug, profile_list)
        check_profile_options(self.user_options or {}, profile)
        super()._load_profile(slug, profile_list)
        self._applied_profile = profile
        self._offered_profiles = [(p["slug"], p["display_name"]) for p in profile_list]

    async def load_user_options(self) -> None:
        self._applied_profile = None
        try:
            await super().load_user_options()
        except ValueError as error:
            # An unknown profile or option: the user's to fix, not a failed start.
            raise web.HTTPError(400, str(error), reason="Bad server profile") from None
        profile: Mapping[str, Any] = self._applied_profile or {}
        slug = profile.get("slug", "")
        gpus = requested_gpus(self.extra_resource_limits, ServerProfiles(parent=self).gpu_resource)
        ledger = self.admit(SpawnRequest(slug, gpus, profile.get("display_name", "")))
        # Accounted from now: nothing was awaited since the check.
        self.start_accounting(ledger, slug, gpus)


class KubernetesHub(Configurable):
    """jupyter-dl's part of a Zero-to-JupyterHub hub: quotas, the platform service,
    and who may use them."""

    service_host = Unicode(
        "hub",
        help="""Host name by which the proxy and user pods reach the hub's pod: the hub's
        Kubernetes Service. The values' hub.extraConfig sets it to the chart's name for
        that Service (get_name("hub")).""",
    ).tag(config=True)

    quotas_port = Integer(
        10101,
        help=f"""Port of the quota service ('{SERVICE_NAME}') in the hub's pod and on the
        hub's Service; the values open it with hub.service.extraPorts and the network
        policies.""",
    ).tag(config=True)

    platform_port = Integer(
        10102,
        help=f"""Port of the platform service ('{PLATFORM_SERVICE}') in the hub's pod and on
        the hub's Service; the values open it like quotas_port.""",
    ).tag(config=True)

    team_db_url = Unicode(
        help=f"""SQLAlchemy URL of the team's platform store
        (``postgresql+psycopg://user:password@host/db``). When set, the hub runs the
        platform API as the service '{PLATFORM_SERVICE}' on it and every user pod is
        pointed at it. Defaults to ${TEAM_DB_URL_ENV}, which the values set from a
        Kubernetes Secret.""",
    ).tag(config=True)

    @default("team_db_url")
    def _default_team_db_url(self) -> str:
        return os.environ.get(TEAM_DB_URL_ENV, "")

    team_data_dir = Unicode(
        help=f"""Where the platform service keeps run artifacts, the dataset repository and
        its DVC remote, and model packages. Defaults to ${TEAM_DATA_DIR_ENV}, else
        jupyter-dl on the hub's persistent volume ({HUB_VOLUME}/jupyter-dl).""",
    ).tag(config=True)

    @default("team_data_dir")
    def _default_team_data_dir(self) -> str:
        return os.environ.get(TEAM_DATA_DIR_ENV) or f"{HUB_VOLUME}/jupyter-dl"

    quota_admin_users = Set(
        Unicode(),
        help="""Users who may set quotas and read everyone's usage. Defaults to the hub's
        admins (c.Authenticator.admin_users, the chart's hub.config).""",
    ).tag(config=True)

    @default("quota_admin_users")
    def _default_quota_admin_users(self) -> set[str]:
        section = self.config.get("Authenticator") or {}
        return set(section.get("admin_users") or ())

    quota_admin_groups = Set(
        Unicode(),
        help="Groups whose members may set quotas and read everyone's usage.",
    ).tag(config=True)

    def apply(self, c: Config) -> None:
        """Write quotas, the services and their permissions into the hub's config ``c``."""
        check_kubespawner_profile_list(
            c.KubeSpawner.get("profile_list", []), KubeSpawner.class_trait_names()
        )
        c.JupyterHub.spawner_class = QuotaKubeSpawner
        access = [self._apply_quotas(c)]
        if self.team_db_url:
            access.append(self._apply_platform(c))
        grant_access(c, "QuotaKubeSpawner", access)

    def _url(self, port: int) -> str:
        return f"http://{self.service_host}:{port}"

    def _apply_quotas(self, c: Config) -> str:
        profiles = profile_names(c.KubeSpawner.get("profile_list", []))
        settings = Quotas(config=c).settings(profiles)
        url = self._url(self.quotas_port)
        try:
            access = add_quota_service(
                c,
                settings,
                url,
                admin_users=self.quota_admin_users,
                admin_groups=self.quota_admin_groups,
                listen_ip=ALL_ADDRESSES,
            )
        except QuotaStoreError as error:
            raise KubernetesHubError(str(error)) from None
        c.QuotaKubeSpawner.quota_service_url = service_url(url, SERVICE_NAME)
        return access

    def _apply_platform(self, c: Config) -> str:
        from jupyter_dl.errors import StoreUnavailable
        from jupyter_dl.tracking.client import API_URL_ENV

        url = self._url(self.platform_port)
        try:
            access = add_platform_service(
                c,
                self.team_db_url,
                Path(self.team_data_dir),
                url,
                setting=f"${TEAM_DB_URL_ENV} (c.KubernetesHub.team_db_url)",
                listen_ip=ALL_ADDRESSES,
            )
        except StoreUnavailable as error:
            raise KubernetesHubError(error.message) from None
        # The chart's singleuser.extraEnv is KubeSpawner's environment: add to it.
        c.KubeSpawner.environment.update({API_URL_ENV: service_url(url, PLATFORM_SERVICE)})
        return access
