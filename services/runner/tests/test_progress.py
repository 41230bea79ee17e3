"""Unit tests of fan-out bookkeeping, retry timing and the narrative: no IO."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from cascade.runner.narrative import narrative, summary
from cascade.runner.progress import run_outcome, settle, skip_reason
from cascade.runner.push_results import push_failure
from cascade.runner.retry import is_permanent, next_attempt_at
from cascade.shared.contract import RetryPolicy

NEEDS = {"write_d1": (), "write_ns": ("write_d1",), "assign": ("write_d1",), "email": ()}
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def test_done_step_releases_its_dependents() -> None:
    statuses = {
        "write_d1": "done",
        "write_ns": "waiting_needs",
        "assign": "waiting_needs",
        "email": "ready",
    }
    assert settle(statuses, NEEDS) == {**statuses, "write_ns": "ready", "assign": "ready"}


def test_failed_step_skips_its_dependents_transitively() -> None:
    needs = {"a": (), "b": ("a",), "c": ("b",)}
    statuses = {"a": "failed", "b": "waiting_needs", "c": "waiting_needs"}
    assert settle(statuses, needs) == {"a": "failed", "b": "skipped", "c": "skipped"}


@pytest.mark.parametrize(
    ("statuses", "outcome"),
    [
        ({"a": "done", "b": "done"}, "completed"),
        ({"a": "done", "b": "failed"}, "partial"),
        ({"a": "failed", "b": "skipped"}, "failed"),
        ({"a": "done", "b": "awaiting_result"}, None),
        ({"a": "retrying", "b": "done"}, None),
    ],
)
def test_run_outcome(statuses: dict[str, str], outcome: str | None) -> None:
    assert run_outcome(statuses) == outcome


def test_retry_waits_within_the_policy_with_full_jitter() -> None:
    policy = RetryPolicy(
        max_attempts=3,
        backoff="exponential",
        base_ms=1500,
        max_ms=30000,
        alert_on_final_failure=True,
    )
    rng = random.Random(7)
    for attempts in (1, 2, 3, 10):
        ceiling = policy.delay(attempts)
        waits = [next_attempt_at(policy, attempts, NOW, rng) - NOW for _ in range(200)]
        assert all(timedelta(0) <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8, "full jitter spreads over the whole window"
    assert policy.delay(10) == timedelta(milliseconds=30000), "capped"


def test_constraint_violations_are_not_retried() -> None:
    assert is_permanent(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_permanent(ConnectionError("server closed the connection"))


def test_summary_and_narrative_tell_what_happened() -> None:
    steps = {
        "write_d1": {"status": "done", "attempts": 1},
        "write_ns": {"status": "failed", "attempts": 3, "last_error": "HTTP 500"},
    }
    result = summary("partial", steps, NOW, NOW + timedelta(seconds=90), "write_ns: HTTP 500")
    assert result["step_counts"] == {"done": 1, "failed": 1}
    assert result["duration_s"] == 90
    assert result["errors"] == {"write_ns": "HTTP 500"}
    text = narrative("new_customer", "Acme", "partial", steps, "write_ns: HTTP 500")
    assert "Run of new_customer for Acme ended partial." in text
    assert "write_ns: failed after 3 attempt(s); last error: HTTP 500" in text


def test_a_skipped_step_says_which_need_failed() -> None:
    statuses = {"write_d1": "done", "write_ns": "failed", "email": "skipped"}
    assert skip_reason(statuses, ("write_d1", "write_ns")) == "skipped because write_ns failed"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            "HTTP 400 Bad Request: INVALID_CONTENT: bad email (at email)",
            "NetSuite refused the customer: HTTP 400 Bad Request: INVALID_CONTENT: bad email",
        ),
        ("HTTP 503: down", "NetSuite did not confirm the customer: HTTP 503: down"),
        (None, "NetSuite did not confirm the customer: no error recorded"),
    ],
)
def test_a_failed_push_in_plain_words(error: str | None, said: str) -> None:
    assert push_failure("customer", error).startswith(said)
