"""The worker loop every job table shares: claim, work outside any transaction, record.

The slow part (a NetSuite call, a check, an SMTP send) runs between two short transactions:
the claim (committed, with its lease) and the fenced record. A Kafka poll loop never waits
for it, and a worker that dies leaves a lease that runs out for another to take over.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from cascade.shared.backoff import backoff_window_s
from cascade.shared.crash import crash_point
from cascade.shared.leased_jobs.retry import RetrySchedule
from cascade.shared.polling import poll

log = logging.getLogger(__name__)

RECORD_TRIES = 10
"""Tries to write a known outcome: about 35 s of back-off, inside every kind's lease."""

JobT = TypeVar("JobT")
ResultT = TypeVar("ResultT")


class JobKind(Protocol[JobT, ResultT]):
    """What one kind of job does at each step; the worker only orders the steps."""

    async def claim(self) -> JobT | None:
        """Lease the next due job (committed), or None when nothing is due."""
        ...

    async def attempt(self, job: JobT) -> ResultT:
        """Do the work, outside any transaction; failures become a result, not a raise."""
        ...

    async def record(self, job: JobT, result: ResultT) -> bool:
        """Write the outcome fenced by the lease; False when the lease was lost."""
        ...

    def describe(self, job: JobT) -> str:
        """The job in a log line."""
        ...


@dataclass(frozen=True)
class WorkerPace:
    """A worker's name (for logs), polling pace, and the crash points it honours
    (`crash_at` names the configured one; `after_claim` / `after_attempt` are this kind's)."""

    name: str
    poll_s: float
    crash_at: str | None = None
    after_claim: str | None = None
    after_attempt: str | None = None


@dataclass(frozen=True)
class JobConfig:
    """How one kind of job is worked: its retry schedule, the lease a claim takes (longer
    than the slowest attempt), the pollers' rest when idle, the configured crash point."""

    schedule: RetrySchedule
    lease_s: float
    poll_s: float
    crash_at: str | None = None

    def pace(
        self, name: str, after_claim: str | None = None, after_attempt: str | None = None
    ) -> WorkerPace:
        """The worker's pace, with this kind's crash points."""
        return WorkerPace(name, self.poll_s, self.crash_at, after_claim, after_attempt)


class LeasedWorker(Generic[JobT, ResultT]):
    """One poller over one job kind; a process runs several side by side."""

    def __init__(self, kind: JobKind[JobT, ResultT], pace: WorkerPace) -> None:
        self._kind = kind
        self._pace = pace

    async def run(self, stop: asyncio.Event) -> None:
        """Work due jobs until `stop` is set; a failed round is logged and its lease retries."""
        await poll(stop, self.run_once, self._pace.poll_s, self._pace.name)

    async def run_once(self) -> bool:
        """Claim, work and record one due job; False when none was due."""
        job = await self._kind.claim()
        if job is None:
            return False
        self._crash(self._pace.after_claim)
        result = await self._kind.attempt(job)
        self._crash(self._pace.after_attempt)
        if not await self._record(job, result):
            what = self._kind.describe(job)
            log.warning("%s: %s: lease lost, outcome left to its new owner", self._pace.name, what)
        return True

    async def _record(self, job: JobT, result: ResultT) -> bool:
        # The outcome is known here and lost with this frame: an outage of the database at
        # this moment (a restart takes seconds) must not hand the job to a new owner that
        # repeats the effect, so writing it is retried for a while. Past that, the lease runs
        # out and the fence keeps a late write from landing on the new owner's claim.
        for attempt in range(1, RECORD_TRIES):
            try:
                return await self._kind.record(job, result)
            except Exception:
                log.warning(
                    "%s: %s: recording the outcome failed (try %d), retrying",
                    self._pace.name,
                    self._kind.describe(job),
                    attempt,
                    exc_info=attempt == 1,
                )
                await asyncio.sleep(backoff_window_s(attempt, 0.5, 5.0))
        # The last try raises to the poll loop, which logs the round as failed.
        return await self._kind.record(job, result)

    async def drain(self) -> int:
        """Work due jobs until none is left; how many were worked."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    def _crash(self, point: str | None) -> None:
        if point is not None:
            crash_point(self._pace.crash_at, point)
