"""The sweep's cron schedule: next ticks in UTC, bad expressions refused at start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cascade.verifier.schedule import CronSchedule

SEED = CronSchedule("8,38 * * * *")


@pytest.mark.parametrize(
    ("now", "tick"),
    [
        (datetime(2026, 11, 26, 10, 0, tzinfo=UTC), datetime(2026, 11, 26, 10, 8, tzinfo=UTC)),
        (datetime(2026, 11, 26, 10, 9, tzinfo=UTC), datetime(2026, 11, 26, 10, 38, tzinfo=UTC)),
        (datetime(2026, 11, 26, 23, 50, tzinfo=UTC), datetime(2026, 11, 27, 0, 8, tzinfo=UTC)),
    ],
)
def test_the_seed_schedule_ticks_at_8_and_38(now: datetime, tick: datetime) -> None:
    assert SEED.next_after(now) == tick


def test_a_tick_is_strictly_after_the_moment() -> None:
    on_tick = datetime(2026, 11, 26, 10, 8, tzinfo=UTC)
    assert SEED.next_after(on_tick) == datetime(2026, 11, 26, 10, 38, tzinfo=UTC)


def test_other_time_zones_are_read_as_the_same_instant() -> None:
    berlin = timezone(timedelta(hours=1))
    now = datetime(2026, 11, 26, 11, 9, tzinfo=berlin)
    assert SEED.next_after(now) == datetime(2026, 11, 26, 10, 38, tzinfo=UTC)


def test_a_sixth_field_counts_seconds() -> None:
    every_two = CronSchedule("* * * * * */2")
    now = datetime(2026, 11, 26, 10, 0, 3, tzinfo=UTC)
    assert every_two.next_after(now) == datetime(2026, 11, 26, 10, 0, 4, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["", "every half hour", "61 * * * *", "8,38 * * *"])
def test_a_bad_expression_is_refused_with_the_setting_name(bad: str) -> None:
    with pytest.raises(ValueError, match="CASCADE_VERIFY_SWEEP_CRON"):
        CronSchedule(bad)
