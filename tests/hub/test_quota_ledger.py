"""Limits and accounting over a real quota database (SQLite), with a clock the tests move."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from jupyter_dl.errors import BadRequest, NotFound
from jupyter_dl.store.store import Store
from jupyter_dl_hub.quotas.ledger import QuotaLedger
from jupyter_dl_hub.quotas.policy import SpawnRequest
from jupyter_dl_hub.quotas.settings import QuotaSettings
from jupyter_dl_hub.quotas.store import VERSION_TABLE, QuotaStore

HOUR = 3600.0
PROFILES = (("cpu", "CPU"), ("1-gpu", "1 GPU"), ("4-gpus", "4 GPUs"))


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(tmp_path: Path, clock: Clock) -> QuotaLedger:
    url = f"sqlite:///{tmp_path / 'quotas.sqlite'}"
    settings = QuotaSettings(db_url=url, profiles=PROFILES, reconcile_grace=60)
    return QuotaLedger(QuotaStore(url).open(), settings, clock)


def test_limits_are_set_merged_and_removed(ledger: QuotaLedger) -> None:
    ledger.set_limits("group", "ml-team", {"max_gpus": 2, "gpu_hours": 100}, by="demo")
    ledger.set_limits("group", "ml-team", {"max_servers": 1}, by="demo", merge=True)
    limits = ledger.get_limits("group", "ml-team")
    assert limits is not None
    assert (limits.max_gpus, limits.gpu_hours, limits.max_servers) == (2, 100, 1)
    # Replacing with nothing set is "inherit everything": the row goes.
    ledger.set_limits("group", "ml-team", {}, by="demo")
    assert ledger.get_limits("group", "ml-team") is None
    with pytest.raises(NotFound, match="No limits are set for group 'ml-team'"):
        ledger.delete_limits("group", "ml-team")


def test_bad_limits_change_nothing(ledger: QuotaLedger) -> None:
    ledger.set_limits("user", "ana", {"max_gpus": 1}, by="demo")
    with pytest.raises(BadRequest, match="there is no profile 'gpu1'"):
        ledger.set_limits("user", "ana", {"max_gpus": 3, "allowed_profiles": ["gpu1"]}, by="x")
    with pytest.raises(BadRequest, match="not a 'team'"):
        ledger.set_limits("team", "ana", {"max_gpus": 3}, by="x")
    limits = ledger.get_limits("user", "ana")
    assert limits is not None
    assert limits.max_gpus == 1


def test_limits_are_listed_a_page_at_a_time(ledger: QuotaLedger) -> None:
    for name in ("c", "a", "b"):
        ledger.set_limits("user", name, {"max_servers": 1}, by="demo")
    ledger.set_limits("group", "g", {"max_servers": 1}, by="demo")
    first, cursor = ledger.list_limits(limit=2)
    assert [(i["kind"], i["name"]) for i in first] == [("group", "g"), ("user", "a")]
    rest, end = ledger.list_limits(limit=2, cursor=cursor)
    assert [i["name"] for i in rest] == ["b", "c"]
    assert end is None


def test_running_servers_and_past_use_count_against_the_limits(
    ledger: QuotaLedger, clock: Clock
) -> None:
    ledger.set_limits("group", "ml-team", {"max_gpus": 2, "gpu_hours": 3}, by="demo")
    first = ledger.open_session("ana", "one", "1-gpu", 1, ["ml-team"])
    clock.now += HOUR
    decision = ledger.check("ana", ["ml-team"], "two", SpawnRequest("4-gpus", 4))
    assert decision.reason.startswith("This would use 5 GPUs at once; your limit is 2")
    assert ledger.check("ana", ["ml-team"], "two", SpawnRequest("1-gpu", 1)).allowed
    # Not a member of ml-team: the default (unlimited) applies.
    assert ledger.check("ana", [], "two", SpawnRequest("4-gpus", 4)).allowed

    clock.now += 2 * HOUR
    ledger.close_session(first, "stopped", stopped_now=True)
    decision = ledger.check("ana", ["ml-team"], "two", SpawnRequest("1-gpu", 1))
    assert "You have used 3.0 of your 3 GPU-hours in the last 7 days" in decision.reason
    # A week later the use has left the rolling period.
    clock.now += 7 * 24 * HOUR
    assert ledger.check("ana", ["ml-team"], "two", SpawnRequest("1-gpu", 1)).allowed


def test_restarting_a_server_does_not_count_it_twice(ledger: QuotaLedger) -> None:
    ledger.set_limits("user", "ana", {"max_servers": 1}, by="demo")
    ledger.open_session("ana", "", "cpu", 0, [])
    assert ledger.check("ana", [], "", SpawnRequest("cpu", 0)).allowed
    assert not ledger.check("ana", [], "other", SpawnRequest("cpu", 0)).allowed


def test_a_server_found_gone_is_charged_until_it_was_last_seen(
    ledger: QuotaLedger, clock: Clock
) -> None:
    session = ledger.open_session("ana", "", "1-gpu", 2, [])
    clock.now += HOUR
    ledger.seen(session)
    clock.now += 5 * HOUR  # the hub was down; the server died meanwhile
    ledger.close_session(session, "gone", stopped_now=False)
    assert ledger.usage("ana", 7).gpu_seconds == 2 * HOUR


def test_reconcile_closes_sessions_the_hub_no_longer_lists(
    ledger: QuotaLedger, clock: Clock
) -> None:
    kept = ledger.open_session("ana", "", "1-gpu", 1, [])
    lost = ledger.open_session("bob", "", "1-gpu", 1, [])
    fresh = ledger.open_session("carl", "", "1-gpu", 1, [])
    clock.now += 120
    ledger.seen(fresh)  # starting: not listed yet, but seen within the grace period
    closed = ledger.reconcile(active={("ana", "")})
    assert [s.id for s in closed] == [lost]
    assert {s.id for s in ledger.open_sessions()} == {kept, fresh}
    assert ledger.usage("bob", 7).gpu_seconds == 0


def test_usage_report_per_user_and_per_group(ledger: QuotaLedger, clock: Clock) -> None:
    start = clock.now
    a = ledger.open_session("ana", "", "4-gpus", 4, ["ml-team", "vision"])
    ledger.open_session("bob", "", "1-gpu", 1, ["ml-team"])
    clock.now += HOUR
    ledger.close_session(a, "stopped", stopped_now=True)
    by_user = ledger.report(since=start)
    assert [(r["user"], r["gpu_hours"], r["running_servers"]) for r in by_user] == [
        ("ana", 4.0, 0),
        ("bob", 1.0, 1),
    ]
    by_group = {r["group"]: r["gpu_hours"] for r in ledger.report(since=start, by="group")}
    assert by_group == {"ml-team": 5.0, "vision": 4.0}
    with pytest.raises(BadRequest, match="'until' must be after 'since'"):
        ledger.report(since=start, until=start)


def test_status_shows_limits_use_budget_and_notices(ledger: QuotaLedger, clock: Clock) -> None:
    ledger.set_limits("group", "ml-team", {"gpu_hours": 10}, by="demo")
    ledger.open_session("ana", "", "1-gpu", 1, ["ml-team"])
    clock.now += 9.5 * HOUR
    ledger.add_notice("ana", "warning", "You have used 95% of your GPU-hours.")
    status = ledger.status("ana", ["ml-team"])
    assert status["limits"]["gpu_hours"] == 10
    assert status["limits"]["sources"]["gpu_hours"] == "group ml-team"
    assert status["usage"] == {"servers": 1, "gpus": 1, "gpu_hours": 9.5}
    assert status["budget"]["state"] == "warning"
    assert status["notices"][0]["kind"] == "warning"


def test_the_quota_tables_share_a_database_with_the_platform_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    Store(url).open()
    quotas = QuotaStore(url).open()
    tables = set(inspect(quotas.engine).get_table_names())
    assert {"dlq_limits", "dlq_sessions", "dlq_notices", VERSION_TABLE, "alembic_version"} <= tables
    # Both histories stay at their heads when either store opens again.
    Store(url).open()
    QuotaStore(url).open()
