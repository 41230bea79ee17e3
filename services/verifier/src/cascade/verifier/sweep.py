"""The seed's verify cron: at every tick, run every check whose due time has passed.

The continuous poller runs checks as they fall due; the sweep is the safety net (and, with
the poller switched off, the seed's only scheduler). It drains through the same claim as
the poller, so the two never run one check twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from cascade.shared.polling import wait_or_stop
from cascade.verifier.schedule import CronSchedule
from cascade.verifier.worker import CheckWorker, utc_now

log = logging.getLogger(__name__)


class Sweeper:
    """Sleeps until the next cron tick, then drains overdue checks with its workers."""

    def __init__(
        self,
        schedule: CronSchedule,
        workers: Sequence[CheckWorker],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._schedule = schedule
        self._workers = list(workers)
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep at every tick until `stop` is set; a failed sweep waits for the next tick."""
        while not stop.is_set():
            now = self._clock()
            tick = self._schedule.next_after(now)
            await wait_or_stop(stop, max((tick - now).total_seconds(), 0.0))
            if stop.is_set():
                return
            try:
                await self.sweep()
            except Exception:
                log.exception("verifier: sweep at %s failed; the next tick retries", tick)

    async def sweep(self) -> int:
        """Run every overdue check now; how many ran."""
        ran = sum(await asyncio.gather(*(worker.drain() for worker in self._workers)))
        if ran:
            # With the poller on, overdue work at a tick means no verifier was running
            # (or it is falling behind): worth an operator's look.
            log.warning("verifier: sweep ran %d overdue check(s)", ran)
        else:
            log.info("verifier: sweep found nothing overdue")
        return ran
