"""`sql` checks: the staged statement with its bound parameters, judged by its rows."""

from __future__ import annotations

import time
from typing import Any

from cascade.verifier.domain import Outcome
from cascade.verifier.params import ParameterError
from cascade.verifier.readonly import ReadOnlyDatabase
from cascade.verifier.results import db_error_outcome, rows_outcome, sqlstate_of

EXPECTATIONS = frozenset({"rows", "no_rows"})


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class SqlChecks:
    """Runs `{"kind": "sql", "sql", "params", "expect"}` specs read-only."""

    def __init__(self, db: ReadOnlyDatabase) -> None:
        self._db = db

    async def run(self, spec: dict[str, Any]) -> Outcome:
        """The outcome of one execution; never raises for a database problem."""
        sql, params, expect = spec.get("sql"), spec.get("params") or {}, spec.get("expect", "rows")
        if not isinstance(sql, str) or not isinstance(params, dict) or expect not in EXPECTATIONS:
            return Outcome("fail", "malformed sql check", {"spec": spec}, retryable=False)
        started = time.monotonic()
        try:
            rows = await self._db.fetch(sql, params)
        except ParameterError as exc:
            return Outcome("fail", str(exc), {"error": str(exc)}, retryable=False)
        except Exception as exc:
            # Every failure of the statement is judged by its SQLSTATE; a lost connection
            # has none and is tried again like any undecided attempt.
            message = str(getattr(exc, "orig", None) or exc)
            state = sqlstate_of(exc)
            return db_error_outcome(state, message, _elapsed_ms(started), self._db.timeout_ms)
        return rows_outcome(str(expect), rows, _elapsed_ms(started))
