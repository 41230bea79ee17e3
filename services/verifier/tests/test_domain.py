"""Retry-or-final decisions and the lease, on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cascade.verifier.domain import CheckDecision, Outcome, check_schedule, decide, lease_seconds

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
POLICY = check_schedule(base_s=30, max_s=300, scale=1.0)
PASS = Outcome("pass", "1 row(s) returned")
FAIL = Outcome("fail", "0 row(s) returned")
UNDECIDED = Outcome("undecided", "statement timeout after 5000 ms")
BROKEN = Outcome("fail", "the check's SQL is broken", retryable=False)


def test_a_pass_is_final_whatever_the_deadline() -> None:
    assert decide(PASS, 1, NOW + timedelta(hours=1), NOW, POLICY) == CheckDecision("pass")
    assert decide(PASS, 7, None, NOW, POLICY) == CheckDecision("pass")


def test_a_failure_before_the_deadline_is_retried_with_backoff() -> None:
    deadline = NOW + timedelta(hours=1)
    assert decide(FAIL, 1, deadline, NOW, POLICY) == CheckDecision(
        "pending", NOW + timedelta(seconds=30)
    )
    assert decide(FAIL, 3, deadline, NOW, POLICY).next_due_at == NOW + timedelta(seconds=120)
    assert decide(FAIL, 9, deadline, NOW, POLICY).next_due_at == NOW + timedelta(seconds=300)


def test_the_last_retry_happens_at_the_deadline_itself() -> None:
    deadline = NOW + timedelta(seconds=10)
    assert decide(FAIL, 1, deadline, NOW, POLICY) == CheckDecision("pending", deadline)


@pytest.mark.parametrize("late", [timedelta(0), timedelta(seconds=1)])
def test_at_or_after_the_deadline_a_failure_is_final(late: timedelta) -> None:
    deadline = NOW - late
    assert decide(FAIL, 4, deadline, NOW, POLICY) == CheckDecision("fail")
    assert decide(UNDECIDED, 4, deadline, NOW, POLICY) == CheckDecision("timeout")


def test_without_a_deadline_the_first_answer_is_final() -> None:
    assert decide(FAIL, 1, None, NOW, POLICY) == CheckDecision("fail")
    assert decide(UNDECIDED, 1, None, NOW, POLICY) == CheckDecision("timeout")


def test_a_broken_check_fails_at_once_even_before_its_deadline() -> None:
    assert decide(BROKEN, 1, NOW + timedelta(hours=1), NOW, POLICY) == CheckDecision("fail")


def test_an_undecided_attempt_is_retried_before_the_deadline() -> None:
    decision = decide(UNDECIDED, 2, NOW + timedelta(hours=1), NOW, POLICY)
    assert decision == CheckDecision("pending", NOW + timedelta(seconds=60))
    assert not decision.final


def test_backoff_follows_the_window_scale() -> None:
    scaled = check_schedule(base_s=30, max_s=300, scale=0.01)
    assert timedelta(seconds=scaled.window_s(1)) == timedelta(seconds=0.3)
    assert timedelta(seconds=scaled.window_s(10)) == timedelta(seconds=3)


def test_the_lease_outlasts_the_slowest_execution_twice() -> None:
    assert lease_seconds(60, 5, 10) == 60
    assert lease_seconds(1, 5, 10) == 35
