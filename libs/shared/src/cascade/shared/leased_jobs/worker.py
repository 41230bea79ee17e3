"""The worker loop every job table shares: claim, work outside any transaction, record.

The slow part (a NetSuite call, a check, an SMTP send) runs between two short transactions:
the claim (committed, with its lease) and the fenced record. A Kafka poll loop never waits
for it, and a worker that dies leaves a lease that runs out for another to take over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from cascade.shared.backoff import backoff_window_s
from cascade.shared.crash import crash_point
from cascade.shared.leased_jobs.retry import RetrySchedule
from cascade.shared.observability.logs import bind_run_in_task
from cascade.shared.polling import poll
from cascade.shared.tracing import continued_span
from cascade.shared.wakeup import Wakeup

log = logging.getLogger(__name__)

RECORD_TRIES = 10
"""Tries to write a known outcome: about 35 s of back-off, inside every kind's lease."""

JobT = TypeVar("JobT")
ResultT = TypeVar("ResultT")


class JobKind(Protocol[JobT, ResultT]):
    """What one kind of job does at each step; the worker only orders the steps."""

    async def claim(self, limit: int) -> Sequence[JobT]:
        """Lease up to `limit` due jobs (committed, most overdue first); none when nothing
        is due."""
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


NextDue = Callable[[], Awaitable[float | None]]
"""Seconds until the next job falls due (a back-off, a verify window, a lease), or None."""


@dataclass(frozen=True)
class WorkerPace:
    """A worker's name (for logs), polling pace, and the crash points it honours
    (`crash_at` names the configured one; `after_claim` / `after_attempt` are this kind's);
    the bell that wakes it (rung after the commit that made a job due: the poll is then a
    safety net) and how many jobs it works at once."""

    name: str
    poll_s: float
    crash_at: str | None = None
    after_claim: str | None = None
    after_attempt: str | None = None
    wake: Wakeup | None = None
    concurrency: int = 1


@dataclass(frozen=True)
class JobConfig:
    """How one kind of job is worked: its retry schedule, the lease a claim takes (longer
    than the slowest attempt), the pollers' rest when idle, the configured crash point."""

    schedule: RetrySchedule
    lease_s: float
    poll_s: float
    crash_at: str | None = None
    wake: Wakeup | None = None
    concurrency: int = 1

    def pace(
        self, name: str, after_claim: str | None = None, after_attempt: str | None = None
    ) -> WorkerPace:
        """The worker's pace, with this kind's crash points."""
        return WorkerPace(
            name,
            self.poll_s,
            self.crash_at,
            after_claim,
            after_attempt,
            self.wake,
            self.concurrency,
        )


class LeasedWorker(Generic[JobT, ResultT]):
    """One poller over one job kind, working up to `pace.concurrency` jobs at once.

    It claims as many due jobs as it has free slots, in one claim, then rests until its bell
    rings (a commit made a job due), a slot frees while more may be due (the last claim
    filled every slot), the next due time (`next_due`: a retry's back-off, a verify window)
    or the safety-net poll, whichever is first. Several workers
    (in one process or many) share a table through the claim's SKIP LOCKED.
    """

    def __init__(
        self,
        kind: JobKind[JobT, ResultT],
        pace: WorkerPace,
        next_due: NextDue | None = None,
    ) -> None:
        self._kind = kind
        self._pace = pace
        self._next_due = next_due
        self._wake = pace.wake or Wakeup()
        self._working: set[asyncio.Task[None]] = set()
        # The last claim filled every free slot: more jobs may be due when one frees.
        self._more = False

    async def run(self, stop: asyncio.Event) -> None:
        """Work due jobs until `stop` is set; a failed round is logged and its lease retries.
        Jobs still running when told to stop are finished (their record written)."""
        try:
            await poll(
                stop,
                self._claim_round,
                self._pace.poll_s,
                self._pace.name,
                wake=self._wake,
                idle_for=self._rest_s,
            )
        finally:
            await asyncio.gather(*self._working, return_exceptions=True)

    async def _claim_round(self) -> bool:
        free = self._pace.concurrency - len(self._working)
        if free <= 0:
            return False  # a freed slot rings (`_slot_freed`)
        jobs = await self._kind.claim(free)
        # A short claim saw every due job: the next rest looks up the next due time; a full
        # one may have left some, for the next slot that frees.
        self._more = len(jobs) >= free
        for job in jobs:
            task = asyncio.create_task(self._work_logged(job))
            self._working.add(task)
            task.add_done_callback(self._slot_freed)
        return False

    def _slot_freed(self, task: asyncio.Task[None]) -> None:
        self._working.discard(task)
        if self._more:
            # Jobs may have been left behind for want of a slot: look again at once. After a
            # short claim nothing was left: the rest ends at the next due time, or when a
            # commit that made a job due rings.
            self._wake.ring()

    async def _rest_s(self) -> float:
        if self._next_due is None or len(self._working) >= self._pace.concurrency:
            return self._pace.poll_s
        due = await self._next_due()
        return self._pace.poll_s if due is None else min(max(due, 0.0), self._pace.poll_s)

    async def _work_logged(self, job: JobT) -> None:
        # A task of its own per job, and every job table's rows belong to a run.
        bind_run_in_task(getattr(job, "run_id", None))
        try:
            await self._work(job)
        except Exception as exc:
            # The lease runs out and the job is retaken: logged like a failed poll round.
            log.warning(
                "%s: %s: round failed: %s: %s",
                self._pace.name,
                self._kind.describe(job),
                type(exc).__name__,
                exc,
                exc_info=exc,
            )

    async def run_once(self) -> bool:
        """Claim, work and record one due job; False when none was due."""
        jobs = await self._kind.claim(1)
        if not jobs:
            return False
        await self._work(jobs[0])
        return True

    async def _work(self, job: JobT) -> None:
        # The job continues the trace of the work that made it (a typed claim's
        # `traceparent`): a NetSuite push, an email, a check shows in its run's trace.
        with continued_span(
            f"{self._pace.name} job",
            getattr(job, "traceparent", None),
            attributes={"cascade.job": self._kind.describe(job)},
        ):
            self._crash(self._pace.after_claim)
            result = await self._kind.attempt(job)
            self._crash(self._pace.after_attempt)
            if not await self._record(job, result):
                what = self._kind.describe(job)
                log.warning(
                    "%s: %s: lease lost, outcome left to its new owner", self._pace.name, what
                )

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
