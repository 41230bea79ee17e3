"""The push poller: claim a due push, call NetSuite outside any transaction, record the outcome.

Kafka's poll loop only marks pushes due; the slow part lives here, so a NetSuite that hangs
never stalls a consumer, and several pollers (in one process or many) never push the same
row at once (SKIP LOCKED + lease).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import ClaimedPush, Decision, RetryPolicy, decide, exhausted_decision
from cascade.ns_pusher.jobs import claim_due
from cascade.ns_pusher.recording import OutcomeRecorder
from cascade.ns_pusher.responses import Outcome
from cascade.ns_pusher.suitetalk import SuiteTalkClient
from cascade.shared.crash import crash_point
from cascade.shared.polling import poll

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How a poller behaves: the policy, its lease, its polling pace, where it may crash."""

    policy: RetryPolicy
    lease_s: float
    poll_s: float
    crash_at: str | None = None


class PushWorker:
    """One poller; a process runs several over one HTTP client and one jitter source."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        client: SuiteTalkClient,
        recorder: OutcomeRecorder,
        config: WorkerConfig,
        rng: random.Random,
    ) -> None:
        self._factory = factory
        self._client = client
        self._recorder = recorder
        self._config = config
        self._rng = rng

    async def run(self, stop: asyncio.Event) -> None:
        """Push due rows until `stop` is set; errors are logged, and the lease retries them."""
        # A failed round leaves its row leased; the lease expires and another round retries.
        await poll(stop, self.run_once, self._config.poll_s, "ns-pusher")

    async def run_once(self) -> bool:
        """Claim and push one due row; False when none was due."""
        policy = self._config.policy
        push = await claim_due(self._factory, policy.max_attempts, self._config.lease_s)
        if push is None:
            return False
        crash_point(self._config.crash_at, "ns_pusher_after_claim")
        outcome, decision = await self._attempt(push)
        crash_point(self._config.crash_at, "ns_pusher_after_netsuite")
        if await self._recorder.record(push, outcome, decision):
            _log_decision(push, decision)
        else:
            log.warning(
                "ns-pusher: push %s: lease lost, outcome left to its new owner", push.push_id
            )
        return True

    async def _attempt(self, push: ClaimedPush) -> tuple[Outcome | None, Decision]:
        if push.exhausted:
            return None, exhausted_decision(push.attempt)
        outcome = await self._client.upsert(push.record_type, push.external_id, push.payload)
        return outcome, decide(outcome, push.attempt, self._config.policy, self._rng)


def _log_decision(push: ClaimedPush, decision: Decision) -> None:
    where = f"push {push.push_id} ({push.record_type} eid:{push.external_id})"
    if decision.status == "applied":
        log.info("ns-pusher: %s applied on attempt %d", where, push.attempt)
    elif decision.status == "retrying":
        delay = decision.delay_s or 0.0
        log.warning(
            "ns-pusher: %s attempt %d failed, retry in %.2fs: %s",
            where,
            push.attempt,
            delay,
            decision.error,
        )
    else:
        log.error("ns-pusher: %s failed for good: %s", where, decision.error)
