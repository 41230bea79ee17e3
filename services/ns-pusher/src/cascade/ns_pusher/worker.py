"""The push poller: claim a due push, call NetSuite outside any transaction, record the outcome.

Kafka's poll loop only marks pushes due; the slow part runs in the shared leased-job worker
(`cascade.shared.leased_jobs.LeasedWorker`), so a NetSuite that hangs never stalls a
consumer, and several pollers (in one process or many) never push the same row at once.
"""

from __future__ import annotations

import logging
import random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import ClaimedPush, decide, exhausted_decision
from cascade.ns_pusher.jobs import PUSHES
from cascade.ns_pusher.recording import PushRecorder
from cascade.ns_pusher.responses import Outcome
from cascade.ns_pusher.suitetalk import SuiteTalkClient
from cascade.shared.leased_jobs import (
    JobConfig,
    JobStep,
    LeasedWorker,
    claim_jobs,
    seconds_until_due,
)

log = logging.getLogger(__name__)

Attempted = tuple[Outcome | None, JobStep]


class PushJobs:
    """The NetSuite push as a leased job kind; a process shares one over its pollers."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        client: SuiteTalkClient,
        recorder: PushRecorder,
        config: JobConfig,
        rng: random.Random,
    ) -> None:
        self._factory = factory
        self._client = client
        self._recorder = recorder
        self._config = config
        self._rng = rng

    async def claim(self, limit: int) -> list[ClaimedPush]:
        """Lease up to `limit` of the most overdue pushes."""
        cap = self._config.schedule.max_attempts or 1
        return await claim_jobs(self._factory, PUSHES, self._config.lease_s, cap, limit)

    async def next_due(self) -> float | None:
        """Seconds until a push falls due (a retry's back-off, a lease running out)."""
        return await seconds_until_due(self._factory, PUSHES)

    async def attempt(self, push: ClaimedPush) -> Attempted:
        """One upsert, or none when the round's last call was cut off."""
        if push.exhausted:
            return None, exhausted_decision(push.attempt)
        outcome = await self._client.upsert(push.record_type, push.external_id, push.payload)
        return outcome, decide(outcome, push.attempt, self._config.schedule, self._rng)

    async def record(self, push: ClaimedPush, result: Attempted) -> bool:
        """Commit the outcome fenced by the lease."""
        outcome, step = result
        recorded = await self._recorder.record(push, outcome, step)
        if recorded:
            _log_step(push, step)
        return recorded

    def describe(self, push: ClaimedPush) -> str:
        """The push in a log line."""
        return str(push)


def push_worker(jobs: PushJobs, config: JobConfig) -> LeasedWorker[ClaimedPush, Attempted]:
    """The push poller: `config.concurrency` pushes at once, woken by `config.wake`."""
    pace = config.pace("ns-pusher", "ns_pusher_after_claim", "ns_pusher_after_netsuite")
    return LeasedWorker(jobs, pace, jobs.next_due)


def _log_step(push: ClaimedPush, step: JobStep) -> None:
    if step.status == "done":
        log.info("ns-pusher: %s applied on attempt %d", push, push.attempt)
    elif step.status == "retrying":
        log.warning(
            "ns-pusher: %s attempt %d failed, retry in %.2fs: %s",
            push,
            push.attempt,
            step.delay_s or 0.0,
            step.error,
        )
    else:
        log.error("ns-pusher: %s failed for good: %s", push, step.error)
