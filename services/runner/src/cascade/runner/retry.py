"""Pure retry decisions for fan-out steps: is an error worth retrying, and when."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError

from cascade.shared.contract import RetryPolicy, RuleEvaluationError

# Errors that repeat identically on every attempt: retrying them only delays the alert.
PERMANENT = (IntegrityError, DataError, ProgrammingError, RuleEvaluationError, KeyError)


def is_permanent(exc: BaseException) -> bool:
    """Whether retrying `exc` cannot help (constraint violations, bad data, bad SQL)."""
    return isinstance(exc, PERMANENT)


def next_attempt_at(
    policy: RetryPolicy, attempts: int, now: datetime, rng: random.Random
) -> datetime:
    """When attempt `attempts + 1` may run: the policy's delay with full jitter."""
    ceiling = policy.delay(attempts).total_seconds()
    return now + timedelta(seconds=rng.uniform(0, ceiling))


def describe(exc: BaseException) -> str:
    """A short, single-line error text for step rows and alerts."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}"[:1000]
