"""What a check's execution means for its row: pass, retry before the deadline, or final.

No IO: the shared leased-job worker claims and executes, this module decides, the recorder
writes. The wait between attempts is the shared `RetrySchedule` (no cap, no jitter: the
contract's deadline ends the retries, and a check's spacing is predictable).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from cascade.shared.db.statuses import CheckStatus
from cascade.shared.leased_jobs import ClaimedJob, RetrySchedule

Verdict = Literal["pass", "fail", "undecided"]
FinalStatus = Literal[CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.TIMEOUT]


@dataclass(frozen=True)
class Outcome:
    """What one execution found: `undecided` when it could not tell (a timeout, NetSuite
    down); a `fail` that is not `retryable` is a broken check another attempt cannot fix."""

    verdict: Verdict
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)
    retryable: bool = True


@dataclass(frozen=True, kw_only=True)
class ClaimedCheck(ClaimedJob):
    """A check leased by this verifier (`claim_jobs(..., CHECKS, ...)`, no
    cap per round: `attempt` counts every execution); `lease_until` fences its outcome."""

    run_id: uuid.UUID
    check_name: str
    kind: str
    spec: dict[str, Any]
    due_at: datetime
    deadline_at: datetime | None
    detail: dict[str, Any] | None
    # `round` (the lease's field) is the check's own round, from its row: a re-verification
    # is the next round.


def check_schedule(base_s: float, max_s: float, scale: float) -> RetrySchedule:
    """Exponential back-off between attempts of a failing check, on the scaled clock."""
    return RetrySchedule(max_attempts=None, base_s=base_s, max_s=max_s, scale=scale, jitter=False)


@dataclass(frozen=True)
class CheckDecision:
    """The row's next state: a final status, or `pending` again at `next_due_at`."""

    status: FinalStatus | Literal[CheckStatus.PENDING]
    next_due_at: datetime | None = None

    @property
    def final(self) -> bool:
        """Whether the check is decided for good (and its result is published)."""
        return self.status != CheckStatus.PENDING


def decide(
    outcome: Outcome,
    attempt: int,
    deadline_at: datetime | None,
    now: datetime,
    schedule: RetrySchedule,
) -> CheckDecision:
    """Pass at once; retry a failure or an undecided attempt while the deadline allows,
    the last attempt at the deadline itself; after it, `fail` or `timeout` is final."""
    if outcome.verdict == "pass":
        return CheckDecision(CheckStatus.PASS)
    if outcome.verdict == "fail" and not outcome.retryable:
        return CheckDecision(CheckStatus.FAIL)
    if deadline_at is not None and now < deadline_at:
        wait = timedelta(seconds=schedule.window_s(attempt))
        return CheckDecision(CheckStatus.PENDING, min(now + wait, deadline_at))
    return CheckDecision(CheckStatus.FAIL if outcome.verdict == "fail" else CheckStatus.TIMEOUT)


def lease_seconds(configured_s: float, statement_timeout_s: float, http_timeout_s: float) -> float:
    """A lease that outlasts the slowest execution (a NetSuite call plus a mirror query),
    twice over, so a slow but live verifier is never doubled by another."""
    return max(configured_s, 2 * (statement_timeout_s + http_timeout_s) + 5)
