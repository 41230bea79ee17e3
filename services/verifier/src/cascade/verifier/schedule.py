"""The sweep's cron schedule (croniter), evaluated in UTC. No IO."""

from __future__ import annotations

from datetime import UTC, datetime

from croniter import croniter


class CronSchedule:
    """Five cron fields (minute hour day month weekday), or six with seconds last."""

    def __init__(self, expression: str) -> None:
        if not croniter.is_valid(expression):
            raise ValueError(
                f"CASCADE_VERIFY_SWEEP_CRON: {expression!r} is not a cron expression "
                "(expected five fields, e.g. '8,38 * * * *')"
            )
        self.expression = expression

    def next_after(self, moment: datetime) -> datetime:
        """The first tick strictly after `moment` (an aware datetime), in UTC."""
        base = moment.astimezone(UTC)
        tick: datetime = croniter(self.expression, base).get_next(datetime)
        return tick.astimezone(UTC)
