"""`http` checks: read a record from NetSuite, expect a status, compare with the mirror."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import httpx

from cascade.shared.netsuite.rest import SuiteTalkRest, TransportFailure
from cascade.verifier.domain import Outcome
from cascade.verifier.mirror import MIRRORS, mismatches, record_by_external_id
from cascade.verifier.readonly import ReadOnlyDatabase
from cascade.verifier.results import db_error_outcome, plain, sqlstate_of

METHODS = frozenset({"GET", "HEAD"})


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _valid(spec: dict[str, Any]) -> bool:
    path = spec.get("path")
    return (
        spec.get("system") == "netsuite"
        and spec.get("method", "GET") in METHODS
        and isinstance(path, str)
        and path.startswith("/")
        and isinstance(spec.get("expect_status", 200), int)
    )


def _record(answer: httpx.Response) -> dict[str, Any] | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class HttpChecks:
    """Runs `{"kind": "http", "system": "netsuite", "method", "path", "expect_status"}`."""

    def __init__(self, rest: SuiteTalkRest, db: ReadOnlyDatabase) -> None:
        self._rest = rest
        self._db = db

    async def run(self, spec: dict[str, Any]) -> Outcome:
        """The outcome of one call; a NetSuite that is slow or down leaves it undecided."""
        if not _valid(spec):
            return Outcome("fail", "malformed http check", {"spec": spec}, retryable=False)
        method, path = spec.get("method", "GET"), str(spec["path"])
        started = time.monotonic()
        answer = await self._rest.send(method, self._rest.rest_url(path))
        if isinstance(answer, TransportFailure):
            detail = {"error": answer.error, "timed_out": answer.timed_out}
            outcome = Outcome("undecided", answer.error, detail)
        else:
            outcome = await self._judge(method, path, int(spec.get("expect_status", 200)), answer)
        return replace(outcome, detail={**outcome.detail, "duration_ms": _elapsed_ms(started)})

    async def _judge(self, method: str, path: str, expect: int, answer: httpx.Response) -> Outcome:
        status = answer.status_code
        detail: dict[str, Any] = {"http_status": status}
        if status != expect:
            # Throttled or down is no answer to the question; any other status is one.
            busy = status == 429 or status >= 500
            reason = f"NetSuite answered HTTP {status}, expected {expect}"
            return Outcome(
                "undecided" if busy else "fail", reason, {**detail, "error": answer.text[:500]}
            )
        if method == "GET" and status == 200:
            return await self._compare(path, answer, detail)
        return Outcome("pass", f"NetSuite answered HTTP {status} as expected", detail)

    async def _compare(self, path: str, answer: httpx.Response, detail: dict[str, Any]) -> Outcome:
        target = record_by_external_id(path)
        mirror = MIRRORS.get(target[0]) if target else None
        if target is None or mirror is None:
            return Outcome("pass", "NetSuite answered HTTP 200 as expected", detail)
        record = _record(answer)
        if record is None:
            return Outcome("fail", "NetSuite's answer carried no record", detail)
        detail["netsuite"] = plain({f: record.get(f) for f in ("id", "lastModifiedDate")})
        try:
            rows = await self._db.fetch(mirror.query, {"external_id": target[1]})
        except Exception as exc:
            message = str(getattr(exc, "orig", None) or exc)
            return db_error_outcome(sqlstate_of(exc), message, 0, self._db.timeout_ms)
        detail["mirror"] = plain(rows[0]) if rows else None
        problems = mismatches(mirror, record, rows[0] if rows else None)
        if problems:
            return Outcome("fail", "; ".join(problems), {**detail, "mismatches": problems})
        return Outcome("pass", "NetSuite and the mirror agree", detail)
