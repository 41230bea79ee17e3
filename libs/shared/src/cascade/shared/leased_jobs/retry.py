"""What happens to a leased job after an attempt: done, retried later, or failed. No IO.

Every job table (NetSuite pushes, verify checks, approved emails) waits between attempts by
the project's one back-off rule (`cascade.shared.backoff`); this module adds the attempt cap,
rounds of attempts (a manual retry opens a new round) and the "not before" floor a server
may ask for (NetSuite's Retry-After).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from cascade.shared.backoff import backoff_window_s, full_jitter_s


@dataclass(frozen=True)
class RetrySchedule:
    """At most `max_attempts` per round (None: no cap, a deadline decides); the n-th wait
    is the back-off window base * 2^(n-1) capped at `max_s`, drawn with full jitter when
    `jitter`, all times multiplied by `scale` (tests and demos shrink minutes to seconds)."""

    max_attempts: int | None
    base_s: float
    max_s: float
    scale: float = 1.0
    jitter: bool = True

    def window_s(self, failed_attempt: int) -> float:
        """The longest wait after attempt number `failed_attempt` (1-based)."""
        return backoff_window_s(failed_attempt, self.base_s, self.max_s) * self.scale

    def delay_s(self, failed_attempt: int, rng: random.Random) -> float:
        """The wait after attempt `failed_attempt`: jittered, or the window itself."""
        if not self.jitter:
            return self.window_s(failed_attempt)
        return full_jitter_s(failed_attempt, self.base_s, self.max_s, rng) * self.scale


JobStatus = Literal["done", "retrying", "failed"]


@dataclass(frozen=True)
class JobStep:
    """A job's next state after an attempt: done, retried after `delay_s`, or failed."""

    status: JobStatus
    error: str | None = None
    delay_s: float | None = None


def next_step(
    attempt: int,
    schedule: RetrySchedule,
    rng: random.Random,
    error: str | None,
    permanent: bool = False,
    not_before_s: float | None = None,
) -> JobStep:
    """Apply the schedule to attempt number `attempt` of its round (1-based): no `error`
    is done; a `permanent` error, or one on the round's last allowed attempt, fails; any
    other is retried after a back-off of at least `not_before_s`."""
    if error is None:
        return JobStep("done")
    if permanent:
        return JobStep("failed", error)
    if schedule.max_attempts is not None and attempt >= schedule.max_attempts:
        return JobStep("failed", f"gave up after {attempt} attempt(s): {error}")
    delay = max(schedule.delay_s(attempt, rng), not_before_s or 0.0)
    return JobStep("retrying", error, delay)


def exhausted_step(attempts: int, why: str) -> JobStep:
    """A job retaken after its round's last allowed attempt was cut off (its worker died
    mid-attempt): no further attempt is allowed in this round."""
    return JobStep("failed", f"gave up after {attempts} attempt(s): {why}")


def round_and_attempt(total_attempts: int, max_attempts: int) -> tuple[int, int]:
    """(round, attempt within it) from a job's count of attempts ever made: each round of
    up to `max_attempts` is one application of the schedule; a manual retry starts the next."""
    done = max(total_attempts - 1, 0)
    return done // max_attempts, done % max_attempts + 1
