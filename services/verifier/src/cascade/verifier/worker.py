"""The check poller: claim a due check, run it outside any transaction, record the outcome.

The Kafka consumer never runs a check; the slow part lives here, so a slow query or a
NetSuite that hangs never stalls a poll loop, and several pollers (in one process or many)
never run the same check at once (SKIP LOCKED + lease).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.crash import crash_point
from cascade.shared.polling import poll
from cascade.verifier.checks import CheckRunner
from cascade.verifier.domain import ClaimedCheck, Decision, RetryPolicy, decide
from cascade.verifier.jobs import claim_due
from cascade.verifier.recording import OutcomeRecorder

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The verifier's clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class WorkerConfig:
    """A poller's retry policy, lease, pace, and where it may be told to crash."""

    policy: RetryPolicy
    lease_s: float
    poll_s: float
    crash_at: str | None = None


class CheckWorker:
    """One poller; a process runs several, and the cron sweep drains with them too."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        runner: CheckRunner,
        recorder: OutcomeRecorder,
        config: WorkerConfig,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._factory = factory
        self._runner = runner
        self._recorder = recorder
        self._config = config
        self._clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Run due checks until `stop` is set; a failed round is logged and its lease retries."""
        await poll(stop, self.run_once, self._config.poll_s, "verifier")

    async def run_once(self) -> bool:
        """Claim, run and record one due check; False when none was due."""
        check = await claim_due(self._factory, self._config.lease_s)
        if check is None:
            return False
        crash_point(self._config.crash_at, "verifier_after_claim")
        outcome = await self._runner.run(check)
        crash_point(self._config.crash_at, "verifier_after_check")
        now = self._clock()
        decision = decide(outcome, check.attempt, check.deadline_at, now, self._config.policy)
        if await self._recorder.record(check, outcome, decision, now):
            _log_decision(check, decision, outcome.reason)
        else:
            log.warning("verifier: %s: lease lost, outcome left to its new owner", _name(check))
        return True

    async def drain(self) -> int:
        """Run due checks until none is left; how many were run."""
        count = 0
        while await self.run_once():
            count += 1
        return count


def _name(check: ClaimedCheck) -> str:
    return f"check {check.check_name} of run {check.run_id} (attempt {check.attempt})"


def _log_decision(check: ClaimedCheck, decision: Decision, reason: str) -> None:
    if decision.status == "pass":
        log.info("verifier: %s passed: %s", _name(check), reason)
    elif decision.status == "pending":
        log.info("verifier: %s retried at %s: %s", _name(check), decision.next_due_at, reason)
    else:
        log.warning("verifier: %s ended %s: %s", _name(check), decision.status, reason)
