"""Quota policy: limits, the limits that apply to a user, and the decision on a spawn.

Everything here is pure, like kubespawner's ``objects.py``: limits, usage and a
request in, a decision out, no database and no hub. The spawner, the admin
service and the tests all ask the same functions, so a refusal reads the same
on the spawn page, in the REST API and in a unit test.

How the limits of a user are found, field by field (:func:`effective_limits`):

1. the user's own limits, where the admin set that field for the user;
2. else the most generous value among the user's groups that set it (limits of
   a group apply to each member, they are not a pool the members share);
3. else the hub's default (``c.Quotas.default_limits``); unset there means
   unlimited.

The GPU-hour budget is one field made of two numbers (hours per rolling
period of days); the most generous group budget is the one with the most hours
per day, then the most hours. Allowed profiles of several groups add up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: No limit: stored and shown as ``"unlimited"``.
UNLIMITED = math.inf

#: ``allowed_profiles`` that allows every profile.
ALL_PROFILES: frozenset[str] = frozenset({"*"})

#: The rolling period of a GPU-hour budget when none is given.
DEFAULT_PERIOD_DAYS = 7.0

DAY = 86400.0

LIMIT_FIELDS = ("max_gpus", "gpu_hours", "period_days", "max_servers", "allowed_profiles")


class LimitsError(ValueError):
    """Limits an admin asked for that make no sense; the message names the field."""


@dataclass(frozen=True)
class Limits:
    """Limits of one user or one group, as an admin set them.

    ``None`` means "not set here": the next level (groups, then the default)
    decides. :data:`UNLIMITED` means "no limit", even over a group's limit.
    """

    max_gpus: float | None = None
    gpu_hours: float | None = None
    period_days: float | None = None
    max_servers: float | None = None
    allowed_profiles: frozenset[str] | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in LIMIT_FIELDS)


def parse_limits(raw: Mapping[str, Any], known_profiles: Sequence[str] = ()) -> Limits:
    """Limits from their JSON form (REST bodies, the database, ``c.Quotas``).

    Numbers or ``"unlimited"``; ``null`` or a missing field leaves it unset.
    ``allowed_profiles`` is a list of profile slugs or ``"*"`` for all; with
    ``known_profiles`` given, unknown slugs are refused.
    """
    if not isinstance(raw, Mapping):
        raise LimitsError(f"Limits must be a JSON object with the fields {_fields()}.")
    unknown = sorted(set(raw) - set(LIMIT_FIELDS))
    if unknown:
        raise LimitsError(f"Unknown limit {unknown[0]!r}; the limits are {_fields()}.")
    return Limits(
        max_gpus=_count(raw, "max_gpus", "GPUs"),
        gpu_hours=_amount(raw, "gpu_hours", "GPU-hours", allow_zero=True),
        period_days=_amount(raw, "period_days", "days", allow_zero=False, allow_unlimited=False),
        max_servers=_count(raw, "max_servers", "servers"),
        allowed_profiles=_profiles(raw.get("allowed_profiles"), known_profiles),
    )


def _fields() -> str:
    return ", ".join(LIMIT_FIELDS)


def _count(raw: Mapping[str, Any], name: str, what: str) -> float | None:
    value = raw.get(name)
    if value is None or value == "unlimited":
        return None if value is None else UNLIMITED
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise LimitsError(f"{name} must be a whole number of {what} or 'unlimited', not {value!r}.")
    if value < 0:
        raise LimitsError(f"{name} must be 0 or more, not {value!r}.")
    return int(value)


def _amount(
    raw: Mapping[str, Any],
    name: str,
    what: str,
    *,
    allow_zero: bool,
    allow_unlimited: bool = True,
) -> float | None:
    value = raw.get(name)
    if value is None:
        return None
    if value == "unlimited" and allow_unlimited:
        return UNLIMITED
    needs = f"a number of {what}" + (" or 'unlimited'" if allow_unlimited else "")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LimitsError(f"{name} must be {needs}, not {value!r}.")
    if value < 0 or (value == 0 and not allow_zero):
        raise LimitsError(
            f"{name} must be {'0 or more' if allow_zero else 'above 0'}, not {value!r}."
        )
    return float(value)


def _profiles(value: Any, known: Sequence[str]) -> frozenset[str] | None:
    if value is None:
        return None
    if value == "*" or value == ["*"]:
        return ALL_PROFILES
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v for v in value):
        raise LimitsError(
            f"allowed_profiles must be a list of profile slugs or '*' for all, not {value!r}."
        )
    if known:
        unknown = [slug for slug in value if slug not in known]
        if unknown:
            raise LimitsError(
                f"allowed_profiles: there is no profile {unknown[0]!r}; the profiles are"
                f" {', '.join(known)}."
            )
    return frozenset(value)


def limits_to_json(limits: Limits) -> dict[str, Any]:
    """The JSON form of ``limits``, every field present (``null`` when unset)."""
    return {
        "max_gpus": _number_json(limits.max_gpus),
        "gpu_hours": _number_json(limits.gpu_hours),
        "period_days": _number_json(limits.period_days),
        "max_servers": _number_json(limits.max_servers),
        "allowed_profiles": _profiles_json(limits.allowed_profiles),
    }


def _number_json(value: float | None) -> float | int | str | None:
    if value is None:
        return None
    if value == UNLIMITED:
        return "unlimited"
    return int(value) if value == int(value) else value


def _profiles_json(value: frozenset[str] | None) -> list[str] | str | None:
    if value is None:
        return None
    return "*" if value == ALL_PROFILES else sorted(value)


@dataclass(frozen=True)
class EffectiveLimits:
    """The limits that apply to one user, every field decided, with where each came from.

    ``sources`` maps a field (``max_gpus``, ``gpu_hours``, ``max_servers``,
    ``allowed_profiles``) to ``"user ana"``, ``"group ml-team"`` or ``"default"``;
    the GPU-hour budget's period shares the source of its hours.
    """

    max_gpus: float = UNLIMITED
    gpu_hours: float = UNLIMITED
    period_days: float = DEFAULT_PERIOD_DAYS
    max_servers: float = UNLIMITED
    allowed_profiles: frozenset[str] = ALL_PROFILES
    sources: Mapping[str, str] = field(default_factory=dict)

    def source(self, name: str) -> str:
        return self.sources.get(name, "default")

    def allows_profile(self, slug: str) -> bool:
        return self.allowed_profiles == ALL_PROFILES or slug in self.allowed_profiles

    def to_json(self) -> dict[str, Any]:
        body = limits_to_json(
            Limits(
                max_gpus=self.max_gpus,
                gpu_hours=self.gpu_hours,
                period_days=self.period_days,
                max_servers=self.max_servers,
                allowed_profiles=self.allowed_profiles,
            )
        )
        body["sources"] = {
            name: self.source(name) for name in LIMIT_FIELDS if name != "period_days"
        }
        return body


def effective_limits(
    user: str,
    user_limits: Limits | None,
    group_limits: Mapping[str, Limits],
    default: Limits = Limits(),
) -> EffectiveLimits:
    """The limits that apply to ``user``: their own, else their most generous group's,
    else the default (see the module's docstring)."""
    own = user_limits or Limits()
    groups = sorted(group_limits.items())
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    for name in ("max_gpus", "max_servers"):
        value, source = _most_generous_number(user, own, groups, default, name)
        values[name], sources[name] = value, source

    (hours, period), sources["gpu_hours"] = _budget(user, own, groups, default)
    values["gpu_hours"], values["period_days"] = hours, period

    profiles, sources["allowed_profiles"] = _allowed_profiles(user, own, groups, default)
    values["allowed_profiles"] = profiles
    return EffectiveLimits(**values, sources=sources)


def _most_generous_number(
    user: str,
    own: Limits,
    groups: Sequence[tuple[str, Limits]],
    default: Limits,
    name: str,
) -> tuple[float, str]:
    mine = getattr(own, name)
    if mine is not None:
        return mine, f"user {user}"
    candidates = [(getattr(limits, name), group) for group, limits in groups]
    candidates = [(value, group) for value, group in candidates if value is not None]
    if candidates:
        # The largest value; among equal values the first group by name.
        value, group = max(candidates, key=lambda pair: (pair[0], _reverse(pair[1])))
        return value, f"group {group}"
    fallback = getattr(default, name)
    return (UNLIMITED if fallback is None else fallback), "default"


def _reverse(name: str) -> tuple[int, ...]:
    """A key that sorts names backwards, so that ``max`` prefers the first by name."""
    return tuple(-ord(char) for char in name)


def _budget(
    user: str,
    own: Limits,
    groups: Sequence[tuple[str, Limits]],
    default: Limits,
) -> tuple[tuple[float, float], str]:
    default_period = default.period_days or DEFAULT_PERIOD_DAYS

    def pair(limits: Limits) -> tuple[float, float]:
        assert limits.gpu_hours is not None
        return limits.gpu_hours, limits.period_days or default_period

    if own.gpu_hours is not None:
        return pair(own), f"user {user}"
    candidates = [(pair(limits), group) for group, limits in groups if limits.gpu_hours is not None]
    if candidates:
        (hours, period), group = max(
            candidates,
            key=lambda c: (c[0][0] / c[0][1], c[0][0], _reverse(c[1])),
        )
        return (hours, period), f"group {group}"
    if default.gpu_hours is not None:
        return pair(default), "default"
    return (UNLIMITED, default_period), "default"


def _allowed_profiles(
    user: str,
    own: Limits,
    groups: Sequence[tuple[str, Limits]],
    default: Limits,
) -> tuple[frozenset[str], str]:
    if own.allowed_profiles is not None:
        return own.allowed_profiles, f"user {user}"
    setting = [
        (g, limits.allowed_profiles) for g, limits in groups if limits.allowed_profiles is not None
    ]
    if setting:
        names = [g for g, _ in setting]
        source = f"group {names[0]}" if len(names) == 1 else f"groups {', '.join(names)}"
        chosen = [profiles for _, profiles in setting if profiles is not None]
        if ALL_PROFILES in chosen:
            return ALL_PROFILES, source
        return frozenset().union(*chosen), source
    return (default.allowed_profiles or ALL_PROFILES), "default"


# The decision on a spawn ----------------------------------------------------------------


@dataclass(frozen=True)
class SpawnRequest:
    """What a spawn asks for: a profile (its slug and name) and the GPUs it holds."""

    profile: str
    gpus: int
    profile_name: str = ""


@dataclass(frozen=True)
class Usage:
    """What a user holds now, besides the server being started, and has used lately.

    ``gpu_seconds`` counts the rolling period of the user's GPU-hour budget, the
    running servers included up to now.
    """

    servers: int = 0
    gpus: int = 0
    gpu_seconds: float = 0.0

    @property
    def gpu_hours(self) -> float:
        return self.gpu_seconds / 3600


@dataclass(frozen=True)
class Decision:
    """Whether a spawn may go ahead; when not, which limit refused it and a message for
    the user (shown on the spawn page and returned by the REST API)."""

    allowed: bool
    reason: str = ""
    limit: str = ""

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)


def decide(request: SpawnRequest, usage: Usage, limits: EffectiveLimits) -> Decision:
    """Allow ``request`` or refuse it with the first limit it breaks.

    The profile is checked first (a forged choice is refused whatever else is
    free), then servers at once, GPUs at once, and the GPU-hour budget. A
    request without GPUs is never refused for GPUs or GPU-hours, so a user over
    budget can still start a CPU server.
    """
    if not limits.allows_profile(request.profile):
        allowed = sorted(limits.allowed_profiles)
        choices = ", ".join(allowed) if allowed else "none"
        return Decision(
            False,
            f"The profile {_quoted_profile(request)} is not allowed for you; you may use:"
            f" {choices} ({limits.source('allowed_profiles')}).",
            "allowed_profiles",
        )
    servers = usage.servers + 1
    if servers > limits.max_servers:
        return Decision(
            False,
            f"This would be {servers} servers running at once; your limit is"
            f" {_number(limits.max_servers)} ({limits.source('max_servers')})."
            " Stop one of your servers first.",
            "max_servers",
        )
    if request.gpus <= 0:
        return Decision.allow()
    gpus = usage.gpus + request.gpus
    if gpus > limits.max_gpus:
        return Decision(
            False,
            f"This would use {gpus} {_gpu_word(gpus)} at once; your limit is"
            f" {_number(limits.max_gpus)} ({limits.source('max_gpus')})."
            + (
                " Stop a GPU server first, or choose a profile with fewer GPUs."
                if usage.gpus
                else " Choose a profile with fewer GPUs."
            ),
            "max_gpus",
        )
    if usage.gpu_hours >= limits.gpu_hours:
        period = _days(limits.period_days)
        if limits.gpu_hours == 0:
            text = (
                f"Your limit is 0 GPU-hours ({limits.source('gpu_hours')}), so you cannot"
                " start GPU servers; choose a profile without GPUs."
            )
        else:
            text = (
                f"You have used {usage.gpu_hours:.1f} of your {_number(limits.gpu_hours)}"
                f" GPU-hours in the last {period} ({limits.source('gpu_hours')}). Choose a"
                f" profile without GPUs, or wait until older use leaves the {period}."
            )
        return Decision(False, text, "gpu_hours")
    return Decision.allow()


def _quoted_profile(request: SpawnRequest) -> str:
    if request.profile_name and request.profile_name != request.profile:
        return f"{request.profile!r} ({request.profile_name})"
    return repr(request.profile)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _gpu_word(count: int) -> str:
    return "GPU" if count == 1 else "GPUs"


def _days(period_days: float) -> str:
    return "day" if period_days == 1 else f"{_number(period_days)} days"


# The GPU-hour budget while servers run ------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    """Where a user stands with their GPU-hour budget: ``ok``, ``warning`` (at or past
    the warning fraction), ``exhausted``, or ``unlimited``."""

    state: str
    used_hours: float
    limit_hours: float
    period_days: float
    source: str

    @property
    def fraction(self) -> float | None:
        if self.limit_hours == UNLIMITED:
            return None
        if self.limit_hours == 0:
            return 1.0
        return self.used_hours / self.limit_hours

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "used_hours": round(self.used_hours, 4),
            "limit_hours": _number_json(self.limit_hours),
            "period_days": _number_json(self.period_days),
            "fraction": None if self.fraction is None else round(self.fraction, 4),
            "source": self.source,
        }


def budget(gpu_seconds: float, limits: EffectiveLimits, warn_fraction: float) -> Budget:
    """The user's budget state after ``gpu_seconds`` of use in the current period."""
    used = gpu_seconds / 3600
    if limits.gpu_hours == UNLIMITED:
        state = "unlimited"
    elif used >= limits.gpu_hours:
        state = "exhausted"
    elif used >= warn_fraction * limits.gpu_hours:
        state = "warning"
    else:
        state = "ok"
    return Budget(state, used, limits.gpu_hours, limits.period_days, limits.source("gpu_hours"))


def window_start(now: float, period_days: float) -> float:
    """The start of a rolling period of ``period_days`` ending ``now`` (epoch seconds)."""
    return now - period_days * DAY


def gpu_seconds(
    sessions: Iterable[tuple[float, float | None, int]],
    since: float,
    until: float,
) -> float:
    """GPU-seconds of ``sessions`` (start, end or None while running, GPUs; epoch
    seconds) within [``since``, ``until``]: each counts its part inside the window."""
    total = 0.0
    for started, ended, gpus in sessions:
        start = max(started, since)
        end = min(until if ended is None else ended, until)
        if end > start:
            total += gpus * (end - start)
    return total
