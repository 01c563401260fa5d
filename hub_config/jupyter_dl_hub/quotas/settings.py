"""``c.Quotas``: where quotas are kept, the default limits and what happens at the limit.

The hub reads these traits (its spawners check every spawn against them), and
hands the same values to the quota service, a process of its own, as one JSON
environment variable: a service cannot read the hub's configuration file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from traitlets import Dict, Enum, Float, Unicode, default, validate
from traitlets.config import Configurable

from ..state import default_state_dir
from .policy import Limits, LimitsError, limits_to_json, parse_limits

DB_URL_ENV = "JUPYTER_DL_QUOTAS_DB_URL"
SETTINGS_ENV = "JUPYTER_DL_QUOTAS_SETTINGS"
#: The service's URL as user servers and their kernels reach it (``%dl_quota``).
SERVICE_URL_ENV = "JUPYTER_DL_QUOTAS_URL"
#: The address the service listens on when it is not its URL's host: in the hub's
#: pod on Kubernetes, the URL names the hub's Service and the service listens on
#: every address of the pod.
LISTEN_IP_ENV = "JUPYTER_DL_QUOTAS_IP"

SERVICE_NAME = "jupyter-dl-quotas"
#: Lets its holder set limits and read everyone's usage (the admin page, REST, CLI).
ADMIN_SCOPE = "custom:jupyter-dl:quotas:admin"
ADMIN_ROLE = "jupyter-dl-quota-admins"

WHEN_EXHAUSTED = ("stop", "warn")


@dataclass(frozen=True)
class QuotaSettings:
    """The quota configuration as plain values, the same in the hub and the service."""

    db_url: str
    default_limits: Limits = field(default_factory=Limits)
    warn_fraction: float = 0.9
    when_exhausted: str = "stop"
    check_interval: float = 60.0
    reconcile_grace: float = 120.0
    #: (slug, display name) of each server profile, to check and show allowed profiles.
    profiles: Sequence[tuple[str, str]] = field(default_factory=tuple)

    @property
    def profile_slugs(self) -> list[str]:
        return [slug for slug, _ in self.profiles]

    def to_json(self) -> str:
        return json.dumps(
            {
                "db_url": self.db_url,
                "default_limits": limits_to_json(self.default_limits),
                "warn_fraction": self.warn_fraction,
                "when_exhausted": self.when_exhausted,
                "check_interval": self.check_interval,
                "reconcile_grace": self.reconcile_grace,
                "profiles": [list(pair) for pair in self.profiles],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> QuotaSettings:
        raw = json.loads(text)
        return cls(
            db_url=raw["db_url"],
            default_limits=parse_limits(raw.get("default_limits") or {}),
            warn_fraction=float(raw.get("warn_fraction", 0.9)),
            when_exhausted=raw.get("when_exhausted", "stop"),
            check_interval=float(raw.get("check_interval", 60.0)),
            reconcile_grace=float(raw.get("reconcile_grace", 120.0)),
            profiles=tuple((slug, name) for slug, name in raw.get("profiles", [])),
        )

    @classmethod
    def from_env(cls) -> QuotaSettings:
        """The settings the hub gave its quota service (:data:`SETTINGS_ENV`)."""
        text = os.environ.get(SETTINGS_ENV)
        if not text:
            raise RuntimeError(
                f"${SETTINGS_ENV} is not set: the quota service is started by the hub,"
                " which sets it (see docs/admin/quotas.md)."
            )
        return cls.from_json(text)


def default_db_url() -> str:
    """``$JUPYTER_DL_QUOTAS_DB_URL``, else SQLite in the hub's state directory."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{default_state_dir() / 'quotas.sqlite'}"


class Quotas(Configurable):
    """GPU quotas and accounting: limits per user and group, enforced at each spawn."""

    db_url = Unicode(
        help=f"""SQLAlchemy URL of the quota database (limits, accounting, notices).

        Defaults to ${DB_URL_ENV}, else quotas.sqlite in the hub's state directory.
        A PostgreSQL URL (postgresql://...) suits a team; the tables are prefixed dlq_
        and their migrations recorded in their own version table, so the database may
        be JupyterHub's or the platform's.""",
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        return default_db_url()

    default_limits = Dict(
        help="""Limits of users for whom neither they nor any of their groups have that
        limit set: {"max_gpus": 1, "gpu_hours": 20, "period_days": 7, "max_servers": 2,
        "allowed_profiles": ["cpu", "1-gpu"]}. A missing field is unlimited.""",
    ).tag(config=True)

    @validate("default_limits")
    def _check_default_limits(self, proposal: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_limits(proposal["value"])
        except LimitsError as error:
            raise LimitsError(f"c.Quotas.default_limits: {error}") from None
        value: dict[str, Any] = proposal["value"]
        return value

    warn_fraction = Float(
        0.9,
        min=0.0,
        max=1.0,
        help="""Warn a user whose GPU-hours in their period reach this fraction of the
        limit: a log line in the service, a notice in their status bar and %dl_quota.""",
    ).tag(config=True)

    when_exhausted = Enum(
        list(WHEN_EXHAUSTED),
        default_value="stop",
        help="""What happens to a user's running GPU servers once their GPU-hours reach
        the limit: "stop" stops them (the user is told why), "warn" only tells them.
        Either way no new GPU server starts until use falls below the limit.""",
    ).tag(config=True)

    check_interval = Float(
        60.0,
        min=1.0,
        help="Seconds between the quota service's checks of running servers against budgets.",
    ).tag(config=True)

    reconcile_grace = Float(
        120.0,
        min=0.0,
        help="""Seconds a server may go unseen by the hub before its open accounting
        record, if the hub no longer lists the server, is closed at the last time it
        was seen (a server lost by a hub restart or crash).""",
    ).tag(config=True)

    def settings(self, profiles: Sequence[tuple[str, str]] = ()) -> QuotaSettings:
        return QuotaSettings(
            db_url=self.db_url,
            default_limits=parse_limits(self.default_limits),
            warn_fraction=self.warn_fraction,
            when_exhausted=self.when_exhausted,
            check_interval=self.check_interval,
            reconcile_grace=self.reconcile_grace,
            profiles=tuple(profiles),
        )
