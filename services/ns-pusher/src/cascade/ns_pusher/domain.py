"""The contract's retry policy and what happens to a push after each attempt. No IO.

Full jitter (a uniform draw between zero and the exponential window) spreads the retries of
many pushes that failed together, e.g. when NetSuite answered 429 to all of them.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cascade.ns_pusher.responses import Applied, Final, Outcome, Retryable
from cascade.shared.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_attempts` calls; the n-th wait is drawn from [0, min(max, base * 2^(n-1))]."""

    max_attempts: int = 3
    base_ms: int = 1500
    max_ms: int = 30000

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        """The policy the settings carry (the contract's values unless overridden)."""
        return cls(
            max_attempts=settings.ns_push_max_attempts,
            base_ms=settings.ns_push_backoff_base_ms,
            max_ms=settings.ns_push_backoff_max_ms,
        )

    def window_s(self, failed_attempt: int) -> float:
        """The upper bound of the wait after attempt number `failed_attempt` (1-based)."""
        exponent = min(max(failed_attempt - 1, 0), 30)
        return min(self.max_ms, self.base_ms * (1 << exponent)) / 1000

    def delay_s(self, failed_attempt: int, rng: random.Random) -> float:
        """A full-jitter wait after attempt `failed_attempt`."""
        return rng.uniform(0.0, self.window_s(failed_attempt))


def round_and_attempt(total_attempts: int, max_attempts: int) -> tuple[int, int]:
    """(round, attempt within it) from a push's count of calls: each round of up to
    `max_attempts` calls is one application of the policy; a manual retry starts the next."""
    done = max(total_attempts - 1, 0)
    return done // max_attempts, done % max_attempts + 1


@dataclass(frozen=True)
class ClaimedPush:
    """A push this pusher holds until `lease_until`; `attempt` is this call's number in
    round `round` (1-based; round 0 is the runner's, later ones are manual retries)."""

    push_id: int
    run_id: uuid.UUID
    record_type: str
    external_id: str
    payload: dict[str, Any]
    attempt: int
    round: int
    lease_until: datetime
    exhausted: bool


@dataclass(frozen=True)
class Decision:
    """The push's next state: applied, retried after `delay_s`, or failed for good."""

    status: Literal["applied", "retrying", "failed"]
    error: str | None = None
    delay_s: float | None = None


def decide(outcome: Outcome, attempt: int, policy: RetryPolicy, rng: random.Random) -> Decision:
    """Apply the policy to the outcome of attempt number `attempt` (1-based)."""
    if isinstance(outcome, Applied):
        return Decision("applied")
    if isinstance(outcome, Final):
        return Decision("failed", outcome.error)
    if attempt >= policy.max_attempts:
        return Decision("failed", f"gave up after {attempt} attempt(s): {outcome.error}")
    return Decision("retrying", outcome.error, _wait(outcome, attempt, policy, rng))


def _wait(outcome: Retryable, attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    # NetSuite's Retry-After is a floor: never come back sooner than it asked.
    drawn = policy.delay_s(attempt, rng)
    return max(drawn, outcome.retry_after_s or 0.0)


LEASE_LOST_ERROR = (
    "the pusher stopped during the last allowed attempt, so NetSuite's answer is unknown; "
    "retrying is safe (the upsert by external id never creates a second record)"
)


def exhausted_decision(attempts: int) -> Decision:
    """A push retaken after its last allowed attempt was cut off: no further call is allowed."""
    return Decision("failed", f"gave up after {attempts} attempt(s): {LEASE_LOST_ERROR}")
