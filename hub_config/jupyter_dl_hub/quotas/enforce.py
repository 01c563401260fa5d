"""The quota service's periodic check of running servers against GPU-hour budgets.

Every ``c.Quotas.check_interval`` seconds (and when an admin asks, "Check now"):

1. reconcile: close the accounting of servers the hub no longer lists
   (:meth:`.ledger.QuotaLedger.reconcile`);
2. for each user with GPU servers running, compare their GPU-hours in the
   rolling period with their budget: at ``warn_fraction`` of it, warn once per
   period (a log line, and a notice their status bar and ``%dl_quota`` show);
   at the budget, stop their GPU servers through the hub (``when_exhausted =
   "stop"``) or only tell them (``"warn"``).

What to do is decided by :func:`plan`, a pure function of the budget; the
:class:`Enforcer` only gathers the facts and carries the plan out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..hubclient import HubUser
from .ledger import OpenSession, QuotaLedger
from .policy import Budget, budget, window_start

log = logging.getLogger("jupyter_dl_hub.quotas")


class Hub(Protocol):
    """What the enforcer needs of the hub (:class:`.hubclient.HubClient`)."""

    async def users(self, state: str | None = None, *, fresh: bool = False) -> dict[str, HubUser]:
        """The hub's users by name, with their servers (``state``: only those in it)."""
        ...

    async def stop_server(self, user: str, server: str) -> None:
        """Stop one of a user's servers."""
        ...


@dataclass(frozen=True)
class Plan:
    """What to do about one user: a notice to write (once per period), servers to stop."""

    notice_kind: str = ""
    message: str = ""
    stop: bool = False


def plan(user_budget: Budget, when_exhausted: str) -> Plan:
    """The action a user's GPU-hour budget calls for while they hold GPU servers."""
    used, limit = user_budget.used_hours, user_budget.limit_hours
    period = _period(user_budget.period_days)
    if user_budget.state == "warning":
        percent = round(100 * (user_budget.fraction or 0))
        return Plan(
            "warning",
            f"You have used {used:.1f} of your {limit:g} GPU-hours in the last {period}"
            f" ({percent}%, {user_budget.source}). "
            + (
                "Your GPU servers will be stopped at the limit."
                if when_exhausted == "stop"
                else "No new GPU server will start once you reach it."
            ),
        )
    if user_budget.state == "exhausted":
        if when_exhausted == "stop":
            return Plan(
                "stopped",
                f"Your GPU servers were stopped: you used {used:.1f} of your {limit:g}"
                f" GPU-hours in the last {period} ({user_budget.source}).",
                stop=True,
            )
        return Plan(
            "exhausted",
            f"You have used all {limit:g} of your GPU-hours in the last {period}"
            f" ({user_budget.source}); running servers go on, but no new GPU server starts.",
        )
    return Plan()


def _period(days: float) -> str:
    return "day" if days == 1 else f"{days:g} days"


@dataclass
class Outcome:
    """What one check did, for the log, the REST answer and the tests."""

    reconciled: list[int] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, list[str] | list[int]]:
        return {
            "reconciled": self.reconciled,
            "warned": self.warned,
            "stopped": self.stopped,
            "errors": self.errors,
        }


class Enforcer:
    """Runs the check: reconcile, then warn or stop per user (see the module docstring)."""

    def __init__(self, ledger: QuotaLedger, hub: Hub) -> None:
        self.ledger = ledger
        self.hub = hub

    async def check(self) -> Outcome:
        outcome = Outcome()
        active = await self.hub.users(state="active")
        pairs = {(user.name, server) for user in active.values() for server in user.servers}
        for closed in self.ledger.reconcile(pairs):
            log.info(
                "Closed the accounting of %s's server %r, which the hub no longer lists,"
                " at its last sighting",
                closed.user,
                closed.server,
            )
            outcome.reconciled.append(closed.id)
        by_user: dict[str, list[OpenSession]] = defaultdict(list)
        for session in self.ledger.open_sessions():
            if session.gpus > 0:
                by_user[session.user].append(session)
        for user, sessions in sorted(by_user.items()):
            hub_user = active.get(user)
            groups = hub_user.groups if hub_user is not None else sessions[0].groups
            await self._check_user(user, groups, sessions, outcome)
        return outcome

    async def _check_user(
        self, user: str, groups: Sequence[str], sessions: list[OpenSession], outcome: Outcome
    ) -> None:
        settings = self.ledger.settings
        limits = self.ledger.effective(user, groups)
        usage = self.ledger.usage(user, limits.period_days)
        action = plan(
            budget(usage.gpu_seconds, limits, settings.warn_fraction), settings.when_exhausted
        )
        if not action.notice_kind:
            return
        since = window_start(self.ledger.clock(), limits.period_days)
        if action.stop:
            for session in sessions:
                try:
                    await self.hub.stop_server(user, session.server)
                except Exception as error:
                    log.error("Could not stop %s's server %r: %s", user, session.server, error)
                    outcome.errors.append(f"{user}/{session.server}: {error}")
                    continue
                outcome.stopped.append(f"{user}/{session.server}")
            log.warning("Stopped the GPU servers of %s: %s", user, action.message)
            self.ledger.add_notice(user, action.notice_kind, action.message)
            return
        if self.ledger.has_notice(user, action.notice_kind, since):
            return
        log.warning("GPU quota of %s: %s", user, action.message)
        self.ledger.add_notice(user, action.notice_kind, action.message)
        outcome.warned.append(user)
