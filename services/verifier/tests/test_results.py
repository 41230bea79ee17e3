"""Rows against the expectation, database errors by SQLSTATE, and the detail kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cascade.verifier.domain import Outcome
from cascade.verifier.results import (
    HISTORY_KEPT,
    attempt_detail,
    db_error_outcome,
    plain,
    rows_outcome,
    sqlstate_of,
)

AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expect", "rows", "verdict"),
    [("rows", 1, "pass"), ("rows", 0, "fail"), ("no_rows", 0, "pass"), ("no_rows", 2, "fail")],
)
def test_rows_are_judged_by_the_expectation(expect: str, rows: int, verdict: str) -> None:
    outcome = rows_outcome(expect, [{"id": n} for n in range(rows)], 12)
    assert outcome.verdict == verdict
    assert outcome.detail["rows"] == rows
    assert outcome.detail["duration_ms"] == 12


def test_only_a_sample_of_rows_is_kept_as_json() -> None:
    rows = [{"id": n, "at": AT, "limit": Decimal("2500.00")} for n in range(20)]
    detail = rows_outcome("rows", rows, 1).detail
    assert detail["rows"] == 20
    assert len(detail["sample"]) == 5
    assert detail["sample"][0] == {"id": 0, "at": AT.isoformat(), "limit": "2500.00"}


def test_plain_turns_column_values_into_json() -> None:
    run = uuid.uuid4()
    assert plain({"r": run, "l": [Decimal("1.5"), None, True]}) == {
        "r": str(run),
        "l": ["1.5", None, True],
    }


def test_the_statement_timeout_is_undecided() -> None:
    outcome = db_error_outcome("57014", "canceling statement due to statement timeout", 5001, 5000)
    assert outcome.verdict == "undecided"
    assert outcome.reason == "statement timeout after 5000 ms"
    assert outcome.detail["timed_out"] is True


@pytest.mark.parametrize("state", ["42601", "42703", "25006", "22007"])
def test_a_broken_statement_fails_for_good(state: str) -> None:
    outcome = db_error_outcome(state, "syntax error", 3, 5000)
    assert (outcome.verdict, outcome.retryable) == ("fail", False)


@pytest.mark.parametrize("state", [None, "08006", "40001"])
def test_a_transient_database_error_is_undecided(state: str | None) -> None:
    assert db_error_outcome(state, "connection lost", 3, 5000).verdict == "undecided"


class _Driver(Exception):
    sqlstate = "57014"


class _Wrapped(Exception):
    def __init__(self, orig: BaseException) -> None:
        super().__init__("wrapped")
        self.orig = orig


def test_sqlstate_is_found_through_wrappers() -> None:
    assert sqlstate_of(_Wrapped(_Driver())) == "57014"
    assert sqlstate_of(_Driver()) == "57014"
    assert sqlstate_of(ValueError("no state")) is None


def test_detail_keeps_the_outcome_and_a_bounded_history() -> None:
    detail: dict[str, object] | None = None
    for attempt in range(1, HISTORY_KEPT + 4):
        detail = attempt_detail(detail, Outcome("fail", "0 rows", {"rows": 0}), attempt, AT, "h:1")
    assert detail is not None
    assert detail["rows"] == 0
    assert detail["by"] == "h:1"
    assert detail["attempt"] == HISTORY_KEPT + 3
    history = detail["history"]
    assert isinstance(history, list)
    assert len(history) == HISTORY_KEPT
    assert history[-1] == {"attempt": HISTORY_KEPT + 3, "at": AT.isoformat(), "verdict": "fail"}
