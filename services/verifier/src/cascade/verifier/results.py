"""How a raw result becomes an `Outcome` and a row's `detail`. No IO.

Rows are judged against the check's expectation; a database error by its SQLSTATE: the
statement timeout leaves the check undecided, a check that is wrong in itself fails at once,
anything else (a connection lost) is undecided and tried again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cascade.verifier.domain import Outcome

SAMPLE_ROWS = 5
HISTORY_KEPT = 10
STATEMENT_TIMEOUT = "57014"
# Syntax and unknown names (42), a write in a read-only transaction (25), a bad value or
# cast (22), an unsupported feature (0A): another attempt runs the same broken check.
BROKEN_CLASSES = frozenset({"42", "25", "22", "0A"})


def plain(value: Any) -> Any:
    """A column value as JSON: exact decimals and ids as text, times in ISO 8601."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def rows_outcome(expect: str, rows: Sequence[Mapping[str, Any]], duration_ms: int) -> Outcome:
    """`rows` passes when the query returned any row, `no_rows` when it returned none."""
    count = len(rows)
    detail = {
        "rows": count,
        "sample": [plain(dict(row)) for row in rows[:SAMPLE_ROWS]],
        "expect": expect,
        "duration_ms": duration_ms,
    }
    passed = count > 0 if expect == "rows" else count == 0
    reason = f"{count} row(s) returned, expected {expect.replace('_', ' ')}"
    return Outcome("pass" if passed else "fail", reason, detail)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error, wrapped by SQLAlchemy or raised by asyncpg."""
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return None
        state = getattr(seen, "sqlstate", None)
        if isinstance(state, str):
            return state
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def db_error_outcome(
    sqlstate: str | None, message: str, duration_ms: int, timeout_ms: int
) -> Outcome:
    """A failed statement: timed out, broken (final) or a transient database error."""
    detail = {"error": message[:2000], "sqlstate": sqlstate, "duration_ms": duration_ms}
    if sqlstate == STATEMENT_TIMEOUT:
        detail["timed_out"] = True
        return Outcome("undecided", f"statement timeout after {timeout_ms} ms", detail)
    if sqlstate is not None and sqlstate[:2] in BROKEN_CLASSES:
        return Outcome("fail", f"the check's SQL is broken: {message[:300]}", detail, False)
    return Outcome("undecided", f"database error: {message[:300]}", detail)


def attempt_detail(
    previous: Mapping[str, Any] | None, outcome: Outcome, attempt: int, at: datetime, by: str
) -> dict[str, Any]:
    """The row's detail after an attempt by verifier `by`: this outcome in full, and a
    short history."""
    history = list((previous or {}).get("history", []))[-(HISTORY_KEPT - 1) :]
    history.append({"attempt": attempt, "at": at.isoformat(), "verdict": outcome.verdict})
    return {
        **outcome.detail,
        "verdict": outcome.verdict,
        "reason": outcome.reason,
        "attempt": attempt,
        "by": by,
        "history": history,
    }
