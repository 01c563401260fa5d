"""What the quota page shows, gathered from the ledger and the hub.

Kept apart from the handlers so the page's facts (rows, bars, states) are plain
data the template only lays out. Users on the page are those with use in the
chosen period or limits of their own, at most :data:`MAX_ROWS`; one more is
looked up by name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jupyter_dl.errors import BadRequest

from .ledger import QuotaLedger
from .policy import ALL_PROFILES, UNLIMITED, EffectiveLimits, budget, effective_limits

if TYPE_CHECKING:
    from .handlers import QuotaHandler

MAX_ROWS = 200
CHART_BARS = 15
PERIODS = (1, 7, 30, 90)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: a label, its value, its length as a fraction, its state."""

    label: str
    value: float
    fraction: float
    state: str = "ok"


def bars(rows: list[tuple[str, float, str]]) -> list[Bar]:
    """Bars for (label, value, state) rows, the longest first, scaled to the longest."""
    top = sorted(rows, key=lambda row: -row[1])[:CHART_BARS]
    longest = max((value for _, value, _ in top), default=0.0) or 1.0
    return [Bar(label, value, value / longest, state) for label, value, state in top]


def limit_text(value: float | None) -> str:
    if value is None:
        return ""
    if value == UNLIMITED:
        return "unlimited"
    return f"{value:g}"


def effective_text(limits: EffectiveLimits) -> dict[str, str]:
    """The effective limits as short texts for a table row."""
    if limits.gpu_hours == UNLIMITED:
        hours = "unlimited"
    else:
        hours = f"{limit_text(limits.gpu_hours)} h / {limits.period_days:g} d"
    if limits.allowed_profiles == ALL_PROFILES:
        profiles = "all"
    else:
        profiles = ", ".join(sorted(limits.allowed_profiles)) or "none"
    return {
        "max_gpus": limit_text(limits.max_gpus),
        "budget": hours,
        "max_servers": limit_text(limits.max_servers),
        "allowed_profiles": profiles,
    }


async def page_context(handler: QuotaHandler) -> dict[str, Any]:
    """Everything the template needs for the caller: their own quota, and for quota
    admins everyone's use, the limits set and the forms to change them."""
    ledger: QuotaLedger = handler.ledger
    me = handler.user_model
    hub_base = os.environ.get("JUPYTERHUB_BASE_URL", "/")
    context: dict[str, Any] = {
        "user": me["name"],
        "is_admin": handler.is_quota_admin,
        "prefix": handler.settings["prefix"],
        "hub_prefix": f"{hub_base}hub/",
        "xsrf_token": _text(handler.xsrf_token),
        "done": handler.get_argument("done", ""),
        "failed": handler.get_argument("failed", ""),
        "settings": ledger.settings,
        "mine": ledger.status(me["name"], me.get("groups") or [])
        if me.get("kind", "user") == "user"
        else None,
    }
    if not context["is_admin"]:
        return context

    days = _days(handler.get_argument("days", "7"))
    since = ledger.clock() - days * 86400
    hub_users = await handler.hub.users()
    per_user = ledger.report(since, by="user")
    per_group = ledger.report(since, by="group")
    limits, cursor = ledger.list_limits(limit=1000)
    while cursor:
        more, cursor = ledger.list_limits(limit=1000, cursor=cursor)
        limits.extend(more)

    used = {row["user"]: row for row in per_user}
    names = list(used) + sorted(
        {item["name"] for item in limits if item["kind"] == "user"} - set(used)
    )
    wanted = handler.get_argument("user", "").strip()
    if wanted and wanted not in names:
        names.insert(0, wanted)
    user_rows = []
    for name in names[:MAX_ROWS]:
        hub_user = hub_users.get(name)
        groups = hub_user.groups if hub_user is not None else ()
        effective = ledger.effective(name, groups)
        usage = ledger.usage(name, effective.period_days)
        state = budget(usage.gpu_seconds, effective, ledger.settings.warn_fraction)
        row = used.get(name, {"gpu_hours": 0.0, "running_servers": 0, "running_gpus": 0})
        user_rows.append(
            {
                "name": name,
                "groups": ", ".join(groups),
                "gpu_hours": row["gpu_hours"],
                "running_servers": row["running_servers"],
                "running_gpus": row["running_gpus"],
                "limits": effective_text(effective),
                "sources": effective.sources,
                "budget": state,
                "known": hub_user is not None,
            }
        )
    context.update(
        {
            "days": days,
            "periods": PERIODS,
            "wanted": wanted,
            "user_rows": user_rows,
            "more_users": max(0, len(names) - MAX_ROWS),
            "group_rows": per_group,
            "user_bars": bars([(r["name"], r["gpu_hours"], r["budget"].state) for r in user_rows]),
            "group_bars": bars([(r["group"], r["gpu_hours"], "ok") for r in per_group]),
            "limit_rows": [
                {**item, "text": {k: _json_text(v) for k, v in item["limits"].items()}}
                for item in limits
            ],
            "profiles": ledger.settings.profiles,
            "defaults": effective_text(
                effective_limits("", None, {}, ledger.settings.default_limits)
            ),
        }
    )
    return context


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _json_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def _days(raw: str) -> float:
    try:
        days = float(raw)
    except ValueError:
        raise BadRequest(f"days must be a number of days, not {raw!r}.") from None
    if not 0 < days <= 3650:
        raise BadRequest(f"days must be between 0 and 3650, not {raw!r}.")
    return days
