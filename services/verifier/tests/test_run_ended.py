"""`workflow.completed` / `workflow.partial` in the verifier (`handlers.report_run_ended`), on
the in-memory unit of work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from cascade.shared.db.models import VerifyResult
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.topics import Topic
from cascade.verifier.handlers import report_run_ended

from .fakes import FakeVerifierWork

RUN = uuid.UUID("5e1f0000-0000-4000-8000-000000000001")
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def ended(topic: Topic = Topic.WORKFLOW_PARTIAL) -> Envelope:
    data = {"workflow_type": "new_customer", "status": "partial", "completed_at": NOW.isoformat()}
    return new_envelope(topic, "cascade.runner", RUN, data)


def check(name: str, status: str, **spec: str) -> VerifyResult:
    return VerifyResult(
        run_id=RUN, check_name=name, kind="sql", status=status, spec=spec, attempts=0,
        round=0, due_at=NOW + timedelta(seconds=5), deadline_at=None, executed_at=None,
    )  # fmt: skip


async def test_skipped_checks_are_reported_once_and_pending_ones_wake_the_checkers() -> None:
    skipped = check("ns_customer_reflects", "skipped", skipped_because="write_ns failed")
    uow = FakeVerifierWork(check("customer_persisted", "pending"), skipped)
    await report_run_ended(uow, ended(), "t.", lambda: NOW)
    (result,) = uow.staged_on("t.verify.result")
    assert result.data["check_name"] == "ns_customer_reflects"
    assert result.data["status"] == "skipped"
    assert result.data["reason"] == "skipped: write_ns failed"
    assert result.idempotency_key == f"verify.result:{RUN}:ns_customer_reflects"
    assert uow.topics() == ["t.verify.result"]  # a skip is no failure: no alert
    assert skipped.executed_at == NOW
    assert uow.checks.woken
    assert not uow.committed  # the consumer commits


async def test_a_replay_reports_nothing_twice() -> None:
    uow = FakeVerifierWork(check("ns_customer_reflects", "skipped"))
    await report_run_ended(uow, ended(), "t.", lambda: NOW)
    uow.staged.clear()
    await report_run_ended(uow, ended(), "t.", lambda: NOW + timedelta(minutes=1))
    assert uow.staged == []


async def test_a_run_without_pending_checks_wakes_nobody() -> None:
    uow = FakeVerifierWork()
    await report_run_ended(uow, ended(Topic.WORKFLOW_COMPLETED), "t.", lambda: NOW)
    assert uow.staged == []
    assert not uow.checks.woken


async def test_a_record_that_is_no_run_end_is_refused() -> None:
    uow = FakeVerifierWork(check("ns_customer_reflects", "skipped"))
    bogus = new_envelope(Topic.WORKFLOW_COMPLETED, "x", RUN, {"status": "completed"})
    with pytest.raises(ValidationError):
        await report_run_ended(uow, bogus, "t.", lambda: NOW)
    assert uow.staged == []
