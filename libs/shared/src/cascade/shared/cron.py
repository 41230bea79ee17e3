"""Cron ticks as pure functions of a schedule, the last tick recorded and the time now (UTC,
croniter): which ticks fire, which are passed over, and when the next one falls due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

from cascade.shared.contract import CatchUp

MAX_TICKS_PER_ROUND = 100
"""`catch_up: all` after a long outage fires this many ticks per round, oldest first; the
next round goes on from the last one fired."""


@dataclass(frozen=True)
class TickPlan:
    """What one round does for one contract: the ticks to fire (oldest first), and the
    latest tick passed over without a run (recorded so it is never weighed again)."""

    fire: tuple[datetime, ...] = ()
    skip_through: datetime | None = None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("cron times must be timezone-aware (UTC)")
    # croniter may hand back `fold=1` (its DST arithmetic); UTC has no fold.
    return moment.astimezone(UTC).replace(fold=0)


def ticks_between(
    schedule: str, after: datetime, until: datetime, limit: int = MAX_TICKS_PER_ROUND + 1
) -> list[datetime]:
    """The schedule's ticks t with after < t <= until, oldest first, at most `limit`."""
    it = croniter(schedule, _utc(after), ret_type=datetime)
    ticks: list[datetime] = []
    while len(ticks) < limit:
        tick = _utc(it.get_next(datetime))
        if tick > _utc(until):
            break
        ticks.append(tick)
    return ticks


def latest_tick(schedule: str, at: datetime) -> datetime:
    """The last tick at or before `at`: a contract seen for the first time counts from it,
    so a new deployment does not fire what was due before it existed."""
    moment = _utc(at)
    it = croniter(schedule, moment + timedelta(microseconds=1), ret_type=datetime)
    return _utc(it.get_prev(datetime))


def next_tick(schedule: str, after: datetime) -> datetime:
    """The first tick strictly after `after`."""
    return _utc(croniter(schedule, _utc(after), ret_type=datetime).get_next(datetime))


def plan_ticks(
    schedule: str,
    last: datetime,
    now: datetime,
    policy: CatchUp,
    grace: timedelta,
    limit: int = MAX_TICKS_PER_ROUND,
) -> TickPlan:
    """The ticks due since `last` (the latest tick recorded, fired or passed over) by `now`.

    A tick no older than `grace` is on time and fires under every policy. Older ones were
    missed (no scheduler ran): `latest` fires only the most recent due tick, `all` fires
    each (at most `limit` per round), `none` fires none of them and records the latest as
    passed over.
    """
    due = ticks_between(schedule, last, now, limit + 1)
    if not due:
        return TickPlan()
    if policy == "all":
        return TickPlan(fire=tuple(due[:limit]))
    if policy == "latest":
        return TickPlan(fire=(due[-1],))
    on_time = [t for t in due if _utc(now) - t <= grace]
    if on_time:
        return TickPlan(fire=(on_time[-1],))
    return TickPlan(skip_through=due[-1])
