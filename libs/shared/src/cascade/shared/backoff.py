"""The one back-off rule of the project: exponential from a base, capped, with full jitter.

Full jitter (a uniform draw between zero and the exponential window) spreads the retries of
many jobs that failed together, e.g. when NetSuite answered 429 to all of them or the
database came back after an outage.
"""

from __future__ import annotations

import random


def backoff_window_s(attempt: int, base_s: float, max_s: float, exponential: bool = True) -> float:
    """The longest wait after failed attempt number `attempt` (1-based): base * 2^(n-1), capped."""
    exponent = min(max(attempt - 1, 0), 30) if exponential else 0
    return float(min(max_s, base_s * (1 << exponent)))


def full_jitter_s(
    attempt: int, base_s: float, max_s: float, rng: random.Random, exponential: bool = True
) -> float:
    """A wait drawn uniformly from [0, window] after failed attempt number `attempt`."""
    return rng.uniform(0.0, backoff_window_s(attempt, base_s, max_s, exponential))
