"""A check's outcome (`recording.record_check`): the row after the decision and, when final,
`verify.result` (and an alert) written together, fenced by the lease, on the in-memory
repository."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cascade.devstack.fake_uow import FakeFencedOutcomes
from cascade.shared.payloads import VerifyResultEvent, WorkflowAlert
from cascade.verifier.domain import ClaimedCheck, Outcome, check_schedule, decide
from cascade.verifier.recording import record_check

RUN = uuid.UUID("7e570000-0000-4000-8000-000000000001")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
LEASE = NOW + timedelta(minutes=2)
DEADLINE = NOW + timedelta(hours=1)
SCHEDULE = check_schedule(base_s=30.0, max_s=600.0, scale=1.0)
RESULT, ALERT = "t.verify.result", "t.workflow.alert"


def claimed(attempt: int = 1) -> ClaimedCheck:
    return ClaimedCheck(
        job_id=7, run_id=RUN, check_name="customer_in_netsuite", kind="http", spec={},
        attempt=attempt, due_at=NOW, deadline_at=DEADLINE, lease_until=LEASE,
        detail={"history": [{"attempt": 1, "at": NOW.isoformat(), "verdict": "undecided"}]},
    )  # fmt: skip


async def recorded(
    outcome: Outcome, at: datetime = NOW, lease: datetime = LEASE
) -> tuple[FakeFencedOutcomes, bool]:
    """The outcomes after recording attempt 2's `outcome` at `at`, the verifier deciding."""
    outcomes = FakeFencedOutcomes()
    outcomes.running[7] = lease
    check = claimed(2)
    decision = decide(outcome, check.attempt, check.deadline_at, at, SCHEDULE)
    written = await record_check(
        outcomes, check, outcome, decision, at, topic_prefix="t.", identity="verifier-a"
    )
    return outcomes, written


async def test_a_pass_is_final_and_publishes_its_result() -> None:
    outcomes, written = await recorded(Outcome("pass", "found", {"netsuite_id": "4711"}))
    assert written
    row = outcomes.written[7]
    assert (row["status"], row["executed_at"], row["lease_until"]) == ("pass", NOW, None)
    assert "due_at" not in row
    detail = row["detail"]
    assert (detail["netsuite_id"], detail["attempt"], detail["by"]) == ("4711", 2, "verifier-a")
    assert [h["attempt"] for h in detail["history"]] == [1, 2]
    assert outcomes.topics() == [RESULT]
    event = VerifyResultEvent.model_validate(outcomes.staged[0][1].data)
    assert (event.status, event.attempts, event.detail) == ("pass", 2, detail)


async def test_an_undecided_attempt_before_the_deadline_is_retried_unpublished() -> None:
    outcomes, written = await recorded(Outcome("undecided", "NetSuite down"))
    assert written
    row = outcomes.written[7]
    assert row["status"] == "pending"
    assert row["due_at"] == NOW + timedelta(seconds=SCHEDULE.window_s(2))
    assert outcomes.staged == []


async def test_past_the_deadline_it_times_out_with_its_result_and_an_alert() -> None:
    outcomes, written = await recorded(Outcome("undecided", "NetSuite down"), at=DEADLINE)
    assert written
    assert outcomes.written[7]["status"] == "timeout"
    assert outcomes.topics() == [RESULT, ALERT]
    WorkflowAlert.model_validate(outcomes.staged[1][1].data)


async def test_a_broken_check_fails_at_once() -> None:
    outcomes, written = await recorded(Outcome("fail", "bad spec", retryable=False))
    assert written
    assert outcomes.written[7]["status"] == "fail"
    assert outcomes.topics() == [RESULT, ALERT]


async def test_a_late_outcome_after_the_lease_was_lost_writes_nothing() -> None:
    retaken = LEASE + timedelta(minutes=5)
    outcomes, written = await recorded(Outcome("pass", "found"), lease=retaken)
    assert not written
    assert (outcomes.written, outcomes.staged) == ({}, [])
    assert outcomes.running == {7: retaken}
