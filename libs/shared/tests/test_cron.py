"""Cron ticks as pure functions: which ticks fire under each catch_up policy (on time, after
an outage), where a contract seen for the first time starts counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cascade.shared.cron import TickPlan, latest_tick, next_tick, plan_ticks, ticks_between

WEEKDAYS_8 = "0 8 * * 1-5"
GRACE = timedelta(seconds=60)


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


FRI, MON, WED = 27, 30, 25  # November 2026: 25 is a Wednesday, 27 a Friday, 30 a Monday


def test_weekday_schedule_skips_the_weekend() -> None:
    assert next_tick(WEEKDAYS_8, at(FRI, 8)) == at(MON, 8)
    assert latest_tick(WEEKDAYS_8, at(29, 12)) == at(FRI, 8)
    assert latest_tick(WEEKDAYS_8, at(MON, 8)) == at(MON, 8), "a tick at the moment counts"


@pytest.mark.parametrize("policy", ["latest", "all", "none"])
def test_an_on_time_tick_fires_under_every_policy(policy: str) -> None:
    plan = plan_ticks(WEEKDAYS_8, at(FRI, 8), at(MON, 8, 0, 1), policy, GRACE)  # type: ignore[arg-type]
    assert plan == TickPlan(fire=(at(MON, 8),))


@pytest.mark.parametrize("policy", ["latest", "all", "none"])
def test_nothing_due_fires_nothing(policy: str) -> None:
    plan = plan_ticks(WEEKDAYS_8, at(MON, 8), at(MON, 23), policy, GRACE)  # type: ignore[arg-type]
    assert plan == TickPlan()


def test_after_an_outage_latest_fires_only_the_most_recent_missed_tick() -> None:
    # Down from Tuesday 07:00 until Friday 10:00: Tue, Wed, Thu and Fri 08:00 were missed.
    plan = plan_ticks(WEEKDAYS_8, at(23, 8), at(FRI, 10), "latest", GRACE)
    assert plan == TickPlan(fire=(at(FRI, 8),))


def test_after_an_outage_all_fires_each_missed_tick_oldest_first() -> None:
    plan = plan_ticks(WEEKDAYS_8, at(23, 8), at(FRI, 10), "all", GRACE)
    assert plan.fire == (at(24, 8), at(25, 8), at(26, 8), at(FRI, 8))
    assert plan.skip_through is None


def test_all_is_bounded_per_round_and_goes_on_from_the_last_fired() -> None:
    every_minute = "* * * * *"
    first = plan_ticks(every_minute, at(MON, 0), at(MON, 10), "all", GRACE, limit=100)
    assert len(first.fire) == 100
    assert first.fire[0] == at(MON, 0, 1)
    second = plan_ticks(every_minute, first.fire[-1], at(MON, 10), "all", GRACE, limit=100)
    assert second.fire[0] == first.fire[-1] + timedelta(minutes=1)


def test_after_an_outage_none_passes_the_missed_ticks_over_and_records_the_latest() -> None:
    plan = plan_ticks(WEEKDAYS_8, at(23, 8), at(FRI, 10), "none", GRACE)
    assert plan == TickPlan(skip_through=at(FRI, 8))
    # The next round counts from the recorded tick: nothing more until Monday.
    assert plan_ticks(WEEKDAYS_8, at(FRI, 8), at(FRI, 10, 1), "none", GRACE) == TickPlan()


def test_none_still_fires_the_current_tick_after_missed_ones() -> None:
    # Down over Tuesday's tick, back 20 s after Wednesday's: Wednesday is on time.
    plan = plan_ticks(WEEKDAYS_8, at(23, 8), at(WED, 8, 0, 20), "none", GRACE)
    assert plan == TickPlan(fire=(at(WED, 8),))


def test_a_tick_later_than_the_grace_is_missed() -> None:
    late = plan_ticks(WEEKDAYS_8, at(FRI, 8), at(MON, 8, 1, 1), "none", GRACE)
    assert late == TickPlan(skip_through=at(MON, 8))


def test_seconds_field_for_tests() -> None:
    every_2s = "* * * * * */2"
    assert ticks_between(every_2s, at(MON, 8), at(MON, 8, 0, 7)) == [
        at(MON, 8, 0, 2),
        at(MON, 8, 0, 4),
        at(MON, 8, 0, 6),
    ]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_tick(WEEKDAYS_8, datetime(2026, 11, 30, 8))
