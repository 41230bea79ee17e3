"""The contract's retry policy: exponential windows, full jitter, the attempt cap."""

from __future__ import annotations

import random

import pytest

from cascade.ns_pusher.domain import decide, exhausted_decision
from cascade.ns_pusher.responses import Applied, Final, Retryable
from cascade.shared.leased_jobs import RetrySchedule, round_and_attempt

CONTRACT = RetrySchedule(max_attempts=3, base_s=1.5, max_s=30.0)


class TopOfWindow(random.Random):
    """A random source that always draws the largest value allowed."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_windows_double_from_the_base_and_stop_at_the_cap() -> None:
    windows = [CONTRACT.window_s(n) for n in range(1, 8)]
    assert windows == [1.5, 3.0, 6.0, 12.0, 24.0, 30.0, 30.0]


def test_full_jitter_draws_between_zero_and_the_window() -> None:
    rng = random.Random(1)
    draws = [CONTRACT.delay_s(2, rng) for _ in range(2000)]
    assert all(0.0 <= d <= 3.0 for d in draws)
    assert min(draws) < 0.3, "the whole window is used"
    assert max(draws) > 2.7, "the whole window is used"
    assert CONTRACT.delay_s(2, TopOfWindow()) == 3.0


def test_same_seed_same_schedule() -> None:
    first = [CONTRACT.delay_s(n, random.Random(7)) for n in (1, 2)]
    assert first == [CONTRACT.delay_s(n, random.Random(7)) for n in (1, 2)]


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_retryable_failure_below_the_cap_is_retried(attempt: int) -> None:
    decision = decide(Retryable("HTTP 500"), attempt, CONTRACT, TopOfWindow())
    assert decision.status == "retrying"
    assert decision.delay_s == CONTRACT.window_s(attempt)


def test_the_third_failure_is_final() -> None:
    decision = decide(Retryable("HTTP 500 boom"), 3, CONTRACT, TopOfWindow())
    assert decision.status == "failed"
    assert decision.error == "gave up after 3 attempt(s): HTTP 500 boom"


def test_retry_after_is_a_floor_under_the_jitter() -> None:
    outcome = Retryable("HTTP 429", 429, retry_after_s=5.0)
    assert decide(outcome, 1, CONTRACT, TopOfWindow()).delay_s == 5.0
    short = Retryable("HTTP 429", 429, retry_after_s=0.5)
    assert decide(short, 1, CONTRACT, TopOfWindow()).delay_s == 1.5


def test_final_and_applied_outcomes_end_the_push() -> None:
    assert decide(Final("HTTP 400 bad"), 1, CONTRACT, TopOfWindow()).status == "failed"
    assert decide(Applied("7", None, 200), 2, CONTRACT, TopOfWindow()).status == "done"


def test_a_push_cut_off_on_its_last_attempt_fails_without_another_call() -> None:
    decision = exhausted_decision(3)
    assert decision.status == "failed"
    assert "answer is unknown" in (decision.error or "")


def test_each_round_of_attempts_is_counted_from_the_total() -> None:
    positions = [round_and_attempt(total, 3) for total in range(1, 8)]
    assert positions == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 1)]
