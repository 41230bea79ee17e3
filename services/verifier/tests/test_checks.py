"""Dispatch by kind, and what a check that raises or names no known kind comes to."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from cascade.verifier.checks import CheckRunner
from cascade.verifier.domain import ClaimedCheck, Outcome

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


class FakeChecks:
    def __init__(self, outcome: Outcome | Exception) -> None:
        self.outcome = outcome
        self.specs: list[dict[str, Any]] = []

    async def run(self, spec: dict[str, Any]) -> Outcome:
        self.specs.append(spec)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


def claimed(kind: str) -> ClaimedCheck:
    return ClaimedCheck(
        job_id=1,
        run_id=uuid.uuid4(),
        check_name="c",
        kind=kind,
        spec={"kind": kind},
        attempt=1,
        due_at=NOW,
        deadline_at=None,
        lease_until=NOW,
        detail=None,
    )


def runner(sql: FakeChecks, http: FakeChecks, objects: FakeChecks | None = None) -> CheckRunner:
    objects = objects or FakeChecks(Outcome("pass", "object"))
    return CheckRunner(sql, http, objects)  # type: ignore[arg-type]


async def test_each_kind_goes_to_its_checks() -> None:
    sql, http = FakeChecks(Outcome("pass", "sql")), FakeChecks(Outcome("fail", "http"))
    objects = FakeChecks(Outcome("fail", "object"))
    assert (await runner(sql, http, objects).run(claimed("sql"))).reason == "sql"
    assert (await runner(sql, http, objects).run(claimed("http"))).reason == "http"
    assert (await runner(sql, http, objects).run(claimed("object"))).reason == "object"
    assert (sql.specs, http.specs) == ([{"kind": "sql"}], [{"kind": "http"}])
    assert objects.specs == [{"kind": "object"}]


async def test_an_unknown_kind_is_a_broken_check() -> None:
    outcome = await runner(FakeChecks(Outcome("pass", "")), FakeChecks(Outcome("pass", ""))).run(
        claimed("r2")
    )
    assert (outcome.verdict, outcome.retryable) == ("fail", False)
    assert "r2" in outcome.reason


async def test_a_check_that_raises_is_undecided_not_fatal() -> None:
    broken = FakeChecks(RuntimeError("boom"))
    outcome = await runner(broken, FakeChecks(Outcome("pass", ""))).run(claimed("sql"))
    assert outcome.verdict == "undecided"
    assert "RuntimeError: boom" in outcome.reason
