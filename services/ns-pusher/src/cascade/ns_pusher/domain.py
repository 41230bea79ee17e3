"""The contract's retry policy applied to a push after each attempt. No IO.

The schedule, the attempt cap and rounds of attempts are the shared leased-job rules
(`cascade.shared.leased_jobs`); what is NetSuite's own is here: which answers end a push,
and Retry-After as a floor under the jittered wait.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from typing import Any

from cascade.ns_pusher.responses import Applied, Final, Outcome
from cascade.shared.db.statuses import PushStatus
from cascade.shared.leased_jobs import (
    ClaimedJob,
    JobStatus,
    JobStep,
    RetrySchedule,
    exhausted_step,
    next_step,
)
from cascade.shared.settings import Settings

# How a push row names each step of the shared schedule.
PUSH_STATUS: dict[JobStatus, PushStatus] = {
    "done": PushStatus.APPLIED,
    "retrying": PushStatus.RETRYING,
    "failed": PushStatus.FAILED,
}


def push_schedule(settings: Settings) -> RetrySchedule:
    """The policy the settings carry (the contract's values unless overridden)."""
    return RetrySchedule(
        max_attempts=settings.ns_push_max_attempts,
        base_s=settings.ns_push_backoff_base_ms / 1000,
        max_s=settings.ns_push_backoff_max_ms / 1000,
    )


@dataclass(frozen=True, kw_only=True)
class ClaimedPush(ClaimedJob):
    """A push this pusher holds (`claim_jobs(..., PUSHES, ...)`); round 0 is
    the runner's, later ones are manual retries."""

    run_id: uuid.UUID
    record_type: str
    external_id: str
    payload: dict[str, Any]

    @property
    def push_id(self) -> int:
        """The push's row id (`ns_pending_pushes.id`), as events and operators name it."""
        return self.job_id

    def __str__(self) -> str:
        return f"push {self.push_id} ({self.record_type} eid:{self.external_id})"


def decide(outcome: Outcome, attempt: int, schedule: RetrySchedule, rng: random.Random) -> JobStep:
    """Apply the policy to the outcome of attempt number `attempt` (1-based)."""
    if isinstance(outcome, Applied):
        return next_step(attempt, schedule, rng, None)
    if isinstance(outcome, Final):
        return next_step(attempt, schedule, rng, outcome.error, permanent=True)
    # NetSuite's Retry-After is a floor: never come back sooner than it asked.
    return next_step(attempt, schedule, rng, outcome.error, not_before_s=outcome.retry_after_s)


LEASE_LOST_ERROR = (
    "the pusher stopped during the last allowed attempt, so NetSuite's answer is unknown; "
    "retrying is safe (the upsert by external id never creates a second record)"
)


def exhausted_decision(attempts: int) -> JobStep:
    """A push retaken after its last allowed attempt was cut off: no further call is allowed."""
    return exhausted_step(attempts, LEASE_LOST_ERROR)
