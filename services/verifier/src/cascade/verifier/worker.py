"""The check poller: claim a due check, run it outside any transaction, record the outcome.

The Kafka consumer never runs a check; the slow part runs in the shared leased-job worker
(`cascade.shared.leased_jobs.LeasedWorker`), so a slow query or a NetSuite that hangs never
stalls a poll loop, and several pollers (in one process or many) never run the same check
at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.statuses import CheckStatus
from cascade.shared.leased_jobs import JobConfig, LeasedWorker, claim_jobs, seconds_until_due
from cascade.verifier.checks import CheckRunner
from cascade.verifier.domain import CheckDecision, ClaimedCheck, Outcome, decide
from cascade.verifier.jobs import CHECKS
from cascade.verifier.recording import CheckRecorder

log = logging.getLogger(__name__)

CheckWorker = LeasedWorker[ClaimedCheck, Outcome]


def utc_now() -> datetime:
    """The verifier's clock."""
    return datetime.now(UTC)


class CheckJobs:
    """The delayed check as a leased job kind; a process shares one over its pollers."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        runner: CheckRunner,
        recorder: CheckRecorder,
        config: JobConfig,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._factory = factory
        self._runner = runner
        self._recorder = recorder
        self._config = config
        self._clock = clock

    async def claim(self, limit: int) -> list[ClaimedCheck]:
        """Lease up to `limit` of the most overdue checks."""
        return await claim_jobs(self._factory, CHECKS, self._config.lease_s, limit=limit)

    async def next_due(self) -> float | None:
        """Seconds until a check falls due (its verify window, a retry, a lease)."""
        return await seconds_until_due(self._factory, CHECKS)

    async def attempt(self, check: ClaimedCheck) -> Outcome:
        """One execution of the check."""
        return await self._runner.run(check)

    async def record(self, check: ClaimedCheck, outcome: Outcome) -> bool:
        """Decide on the verifier's clock and commit, fenced by the lease."""
        now = self._clock()
        schedule = self._config.schedule
        decision = decide(outcome, check.attempt, check.deadline_at, now, schedule)
        recorded = await self._recorder.record(check, outcome, decision, now)
        if recorded:
            _log_decision(check, decision, outcome.reason)
        return recorded

    def describe(self, check: ClaimedCheck) -> str:
        """The check in a log line."""
        return _name(check)


def check_worker(jobs: CheckJobs, config: JobConfig) -> CheckWorker:
    """The check worker: `config.concurrency` checks at once, resting until the next due
    time or `config.wake` (the sweep drains with it too)."""
    pace = config.pace("verifier", "verifier_after_claim", "verifier_after_check")
    return LeasedWorker(jobs, pace, jobs.next_due)


def _name(check: ClaimedCheck) -> str:
    return f"check {check.check_name} of run {check.run_id} (attempt {check.attempt})"


def _log_decision(check: ClaimedCheck, decision: CheckDecision, reason: str) -> None:
    if decision.status == CheckStatus.PASS:
        log.info("verifier: %s passed: %s", _name(check), reason)
    elif decision.status == CheckStatus.PENDING:
        log.info("verifier: %s retried at %s: %s", _name(check), decision.next_due_at, reason)
    else:
        log.warning("verifier: %s ended %s: %s", _name(check), decision.status, reason)
