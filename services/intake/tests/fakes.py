"""Intake's unit of work for a cron tick in memory (`unit_of_work.TickWork`)."""

from __future__ import annotations

from datetime import datetime

from cascade.devstack.fake_uow import FakeRepository, FakeRunRequestWork
from cascade.shared.db.models import TriggerTick


class FakeTriggerTicks(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[tuple[str, datetime], TriggerTick] = {}

    async def claim(self, tick: TriggerTick) -> bool:
        key = (tick.workflow_type, tick.scheduled_for)
        if key in self.rows:
            return False
        self.rows[key] = tick
        return True


class FakeTickWork(FakeRunRequestWork):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = FakeTriggerTicks()
