"""Intake's unit of work for a cron tick: the run request's (`run_requests.staging`), plus
the ticks claimed. The scheduler hands `cron_triggers.fire_tick` `SqlTickWork(uow)` over a
`UnitOfWork` it opened; the fast tests hand in `tests/fakes.py`'s fake.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import TriggerTick
from cascade.shared.db.rows import insert_of
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.run_requests.staging import RunRequestWork, SqlRunRequestWork


class TriggerTicks(Protocol):
    """`trigger_ticks`: a cron contract's ticks, each claimed once."""

    async def claim(self, tick: TriggerTick) -> bool:
        """Insert the tick unless it is taken (a second replica's INSERT waits on the first's
        uncommitted row, then finds it taken); False when it was."""
        ...


class TickWork(RunRequestWork, Protocol):
    """What firing a tick touches: the tick, and its run's request."""

    ticks: TriggerTicks


class SqlTriggerTicks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, tick: TriggerTick) -> bool:
        claimed = await self._session.execute(
            insert_of(tick).on_conflict_do_nothing().returning(TriggerTick.scheduled_for)
        )
        return claimed.first() is not None


class SqlTickWork(SqlRunRequestWork):
    """`TickWork` in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.ticks: TriggerTicks = SqlTriggerTicks(uow.session)
