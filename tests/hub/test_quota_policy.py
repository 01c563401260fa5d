"""The quota decision as a pure function: limits, usage and a request in, a decision out."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from jupyter_dl_hub.quotas.policy import (
    ALL_PROFILES,
    UNLIMITED,
    EffectiveLimits,
    Limits,
    LimitsError,
    SpawnRequest,
    Usage,
    budget,
    decide,
    effective_limits,
    gpu_seconds,
    limits_to_json,
    parse_limits,
)

GPU1 = SpawnRequest("1-gpu", 1, "1 GPU")
CPU = SpawnRequest("cpu", 0, "CPU")


def test_user_limits_override_their_groups_field_by_field() -> None:
    limits = effective_limits(
        "ana",
        Limits(max_gpus=1),
        {"ml-team": Limits(max_gpus=4, max_servers=2)},
    )
    assert limits.max_gpus == 1
    assert limits.source("max_gpus") == "user ana"
    # Not set for the user: the group decides.
    assert limits.max_servers == 2
    assert limits.source("max_servers") == "group ml-team"


def test_the_most_generous_group_applies() -> None:
    limits = effective_limits(
        "ana",
        None,
        {
            "students": Limits(max_gpus=1, gpu_hours=10, period_days=7, allowed_profiles=None),
            "ml-team": Limits(max_gpus=4, gpu_hours=20, period_days=1),
            "vision": Limits(max_gpus=2, gpu_hours=100, period_days=7),
        },
    )
    assert (limits.max_gpus, limits.source("max_gpus")) == (4, "group ml-team")
    # 20 h a day is more than 100 h a week.
    assert (limits.gpu_hours, limits.period_days) == (20, 1)
    assert limits.source("gpu_hours") == "group ml-team"


def test_unlimited_in_a_group_beats_any_number() -> None:
    limits = effective_limits(
        "ana", None, {"a": Limits(max_servers=3), "b": Limits(max_servers=UNLIMITED)}
    )
    assert limits.max_servers == UNLIMITED
    assert limits.source("max_servers") == "group b"


def test_a_user_can_be_made_unlimited_over_a_group_limit() -> None:
    limits = effective_limits("ana", Limits(max_gpus=UNLIMITED), {"a": Limits(max_gpus=1)})
    assert limits.max_gpus == UNLIMITED


def test_allowed_profiles_of_several_groups_add_up() -> None:
    limits = effective_limits(
        "ana",
        None,
        {
            "a": Limits(allowed_profiles=frozenset({"cpu"})),
            "b": Limits(allowed_profiles=frozenset({"1-gpu"})),
        },
    )
    assert limits.allowed_profiles == {"cpu", "1-gpu"}
    assert limits.source("allowed_profiles") == "groups a, b"


def test_no_limits_anywhere_means_unlimited_and_the_default_applies_last() -> None:
    assert effective_limits("ana", None, {}) == EffectiveLimits(
        sources={
            "max_gpus": "default",
            "max_servers": "default",
            "gpu_hours": "default",
            "allowed_profiles": "default",
        }
    )
    limits = effective_limits("ana", None, {"a": Limits()}, Limits(max_servers=1, gpu_hours=5))
    assert (limits.max_servers, limits.gpu_hours, limits.period_days) == (1, 5, 7)
    assert limits.allowed_profiles == ALL_PROFILES


@pytest.mark.parametrize(
    ("request_", "usage", "limits", "message"),
    [
        (
            SpawnRequest("1-gpu", 1, "1 GPU"),
            Usage(servers=1, gpus=2),
            Limits(max_gpus=2),
            "This would use 3 GPUs at once; your limit is 2 (group ml-team). Stop a GPU"
            " server first, or choose a profile with fewer GPUs.",
        ),
        (
            SpawnRequest("4-gpus", 4, "4 GPUs"),
            Usage(),
            Limits(max_gpus=2),
            "This would use 4 GPUs at once; your limit is 2 (group ml-team). Choose a"
            " profile with fewer GPUs.",
        ),
        (
            CPU,
            Usage(servers=1),
            Limits(max_servers=1),
            "This would be 2 servers running at once; your limit is 1 (group ml-team)."
            " Stop one of your servers first.",
        ),
        (
            GPU1,
            Usage(gpu_seconds=100 * 3600),
            Limits(gpu_hours=100, period_days=7),
            "You have used 100.0 of your 100 GPU-hours in the last 7 days (group ml-team).",
        ),
        (
            GPU1,
            Usage(),
            Limits(gpu_hours=0),
            "Your limit is 0 GPU-hours (group ml-team), so you cannot start GPU servers",
        ),
        (
            SpawnRequest("4-gpus", 4, "4 GPUs"),
            Usage(),
            Limits(allowed_profiles=frozenset({"cpu", "1-gpu"})),
            "The profile '4-gpus' (4 GPUs) is not allowed for you; you may use: 1-gpu, cpu"
            " (group ml-team).",
        ),
    ],
    ids=["gpus-at-once", "gpus-in-one-request", "servers", "gpu-hours", "no-gpu-hours", "profile"],
)
def test_refusals_say_which_limit_and_whose(
    request_: SpawnRequest, usage: Usage, limits: Limits, message: str
) -> None:
    decision = decide(request_, usage, effective_limits("ana", None, {"ml-team": limits}))
    assert not decision.allowed
    assert message in decision.reason


def test_within_limits_is_allowed() -> None:
    limits = effective_limits("ana", Limits(max_gpus=2, max_servers=2, gpu_hours=10), {})
    assert decide(GPU1, Usage(servers=1, gpus=1, gpu_seconds=9.9 * 3600), limits).allowed


def test_a_user_out_of_gpu_hours_can_still_start_a_cpu_server() -> None:
    limits = effective_limits("ana", Limits(max_gpus=0, gpu_hours=1), {})
    assert decide(CPU, Usage(gpu_seconds=5 * 3600), limits).allowed
    assert not decide(GPU1, Usage(gpu_seconds=5 * 3600), limits).allowed


def test_a_forged_profile_is_refused_before_anything_else() -> None:
    limits = effective_limits("ana", Limits(allowed_profiles=frozenset({"cpu"}), max_servers=0), {})
    decision = decide(SpawnRequest("4-gpus", 4), Usage(), limits)
    assert decision.limit == "allowed_profiles"


def test_budget_warns_near_the_limit_and_is_exhausted_at_it() -> None:
    limits = effective_limits("ana", Limits(gpu_hours=10), {})
    assert budget(8 * 3600, limits, 0.9).state == "ok"
    assert budget(9 * 3600, limits, 0.9).state == "warning"
    assert budget(10 * 3600, limits, 0.9).state == "exhausted"
    assert budget(10**9, effective_limits("ana", None, {}), 0.9).state == "unlimited"


def test_gpu_seconds_count_only_the_part_inside_the_window() -> None:
    t0 = datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
    hour = 3600.0
    sessions = [
        (t0 - 2 * hour, t0 + hour, 2),  # starts before the window: 1 h x 2 GPUs inside
        (t0 + 2 * hour, None, 1),  # still running: counted up to the window's end
        (t0 - 5 * hour, t0 - 4 * hour, 8),  # entirely before
    ]
    assert gpu_seconds(sessions, t0, t0 + 4 * hour) == (2 * 1 + 1 * 2) * 3600


def test_limits_round_trip_through_json_and_bad_ones_name_the_field() -> None:
    raw = {
        "max_gpus": 2,
        "gpu_hours": 100.5,
        "period_days": 7,
        "max_servers": "unlimited",
        "allowed_profiles": ["cpu", "1-gpu"],
    }
    limits = parse_limits(raw, known_profiles=["cpu", "1-gpu", "4-gpus"])
    assert limits.max_servers == UNLIMITED
    assert limits_to_json(limits) == {**raw, "allowed_profiles": ["1-gpu", "cpu"]}
    for bad, message in [
        ({"max_gpu": 1}, "Unknown limit 'max_gpu'"),
        ({"max_gpus": 1.5}, "max_gpus must be a whole number of GPUs"),
        ({"max_servers": -1}, "max_servers must be 0 or more"),
        ({"gpu_hours": "lots"}, "gpu_hours must be a number of GPU-hours or 'unlimited'"),
        ({"period_days": 0}, "period_days must be above 0"),
        ({"allowed_profiles": ["gpu1"]}, "there is no profile 'gpu1'; the profiles are cpu"),
        ({"allowed_profiles": "cpu"}, "allowed_profiles must be a list of profile slugs"),
    ]:
        with pytest.raises(LimitsError, match=message):
            parse_limits(bad, known_profiles=["cpu", "1-gpu"])
