"""The periodic check: warn once per period near the limit, stop GPU servers at it (or
only tell, when configured so), reconcile what the hub no longer lists.

The ledger is real (SQLite); the hub is a stand-in that lists users and records
the stops asked of it (the real one is exercised in test_hub_quotas.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from jupyter_dl_hub.hubclient import HubUser
from jupyter_dl_hub.quotas.enforce import Enforcer, plan
from jupyter_dl_hub.quotas.ledger import QuotaLedger
from jupyter_dl_hub.quotas.policy import Budget
from jupyter_dl_hub.quotas.settings import QuotaSettings
from jupyter_dl_hub.quotas.store import QuotaStore

HOUR = 3600.0


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class Hub:
    """Lists the users given, with one running server per open session; records stops."""

    def __init__(self, ledger: QuotaLedger, groups: dict[str, tuple[str, ...]]) -> None:
        self.ledger = ledger
        self.groups = groups
        self.stopped: list[tuple[str, str]] = []

    async def users(self, state: str | None = None, *, fresh: bool = False) -> dict[str, HubUser]:
        servers: dict[str, dict[str, dict[str, bool]]] = {}
        for session in self.ledger.open_sessions():
            if (session.user, session.server) not in self.stopped:
                servers.setdefault(session.user, {})[session.server] = {"ready": True}
        return {
            name: HubUser(name, self.groups.get(name, ()), servers.get(name, {}))
            for name in set(servers) | set(self.groups)
        }

    async def stop_server(self, user: str, server: str) -> None:
        self.stopped.append((user, server))


def ledger(tmp_path: Path, clock: Clock, when_exhausted: str = "stop") -> QuotaLedger:
    url = f"sqlite:///{tmp_path / 'quotas.sqlite'}"
    settings = QuotaSettings(db_url=url, warn_fraction=0.9, when_exhausted=when_exhausted)
    return QuotaLedger(QuotaStore(url).open(), settings, clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_warns_once_near_the_limit_then_stops_at_it(tmp_path: Path, clock: Clock) -> None:
    quotas = ledger(tmp_path, clock)
    quotas.set_limits("group", "ml-team", {"gpu_hours": 10}, by="admin")
    quotas.open_session("ana", "", "1-gpu", 1, ["ml-team"])
    quotas.open_session("ana", "cpu", "cpu", 0, ["ml-team"])
    hub = Hub(quotas, {"ana": ("ml-team",)})
    enforcer = Enforcer(quotas, hub)

    clock.now += 8 * HOUR
    assert asyncio.run(enforcer.check()).warned == []
    clock.now += 1.2 * HOUR
    assert asyncio.run(enforcer.check()).warned == ["ana"]
    clock.now += 0.1 * HOUR
    assert asyncio.run(enforcer.check()).warned == []  # warned already this period
    notices = quotas.notices("ana", 0)
    assert [n["kind"] for n in notices] == ["warning"]
    assert notices[0]["message"].startswith(
        "You have used 9.2 of your 10 GPU-hours in the last 7 days (92%, group ml-team)."
    )

    clock.now += 1 * HOUR
    outcome = asyncio.run(enforcer.check())
    # The GPU server only; the CPU server goes on.
    assert outcome.stopped == ["ana/"]
    assert hub.stopped == [("ana", "")]
    assert quotas.notices("ana", 0)[0]["kind"] == "stopped"


def test_warn_only_tells_once_and_stops_nothing(tmp_path: Path, clock: Clock) -> None:
    quotas = ledger(tmp_path, clock, when_exhausted="warn")
    quotas.set_limits("user", "ana", {"gpu_hours": 1}, by="admin")
    quotas.open_session("ana", "", "1-gpu", 1, [])
    hub = Hub(quotas, {"ana": ()})
    enforcer = Enforcer(quotas, hub)
    clock.now += 2 * HOUR
    assert asyncio.run(enforcer.check()).warned == ["ana"]
    assert asyncio.run(enforcer.check()).warned == []
    assert hub.stopped == []
    assert "running servers go on" in quotas.notices("ana", 0)[0]["message"]


def test_sessions_the_hub_no_longer_lists_are_closed(tmp_path: Path, clock: Clock) -> None:
    quotas = ledger(tmp_path, clock)
    lost = quotas.open_session("bob", "", "1-gpu", 1, [])

    class Forgetful(Hub):
        async def users(
            self, state: str | None = None, *, fresh: bool = False
        ) -> dict[str, HubUser]:
            return {}

    clock.now += HOUR
    outcome = asyncio.run(Enforcer(quotas, Forgetful(quotas, {})).check())
    assert outcome.reconciled == [lost]
    # Charged until it was last seen: its start.
    assert quotas.usage("bob", 7).gpu_seconds == 0


def test_the_plan_follows_the_budget() -> None:
    def at(state: str, used: float) -> Budget:
        return Budget(state, used, 10, 7, "group ml-team")

    assert plan(at("ok", 1), "stop").notice_kind == ""
    assert plan(at("unlimited", 1), "stop").notice_kind == ""
    assert plan(at("warning", 9.5), "stop").notice_kind == "warning"
    assert "will be stopped at the limit" in plan(at("warning", 9.5), "stop").message
    assert plan(at("exhausted", 10), "stop").stop is True
    assert plan(at("exhausted", 10), "warn").stop is False
