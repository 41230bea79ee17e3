"""A push's outcome (`recording.record_push`): the row after the policy's step, the mirror
and the result (and alert) written together, fenced by the lease, on the in-memory
repository."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from cascade.devstack.fake_uow import FakeFencedOutcomes
from cascade.ns_pusher.domain import ClaimedPush, decide
from cascade.ns_pusher.recording import record_push
from cascade.ns_pusher.responses import Applied, Final, Outcome, Retryable
from cascade.shared.leased_jobs import DbNow, RetrySchedule
from cascade.shared.payloads import NsPushResult, WorkflowAlert

RUN = uuid.UUID("3c9d0000-0000-4000-8000-000000000002")
LEASE = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
MODIFIED = datetime(2026, 5, 4, 9, 29, tzinfo=UTC)
SCHEDULE = RetrySchedule(max_attempts=3, base_s=2.0, max_s=60.0, jitter=False)
RESULTS, ALERTS = "t.ns.push.result", "t.workflow.alert"


def claimed(attempt: int = 1) -> ClaimedPush:
    return ClaimedPush(
        job_id=4, run_id=RUN, record_type="customer", external_id="cust-1",
        payload={"companyName": "Acme"}, attempt=attempt, lease_until=LEASE,
    )  # fmt: skip


async def recorded(
    outcome: Outcome, attempt: int = 1, lease: datetime = LEASE
) -> tuple[FakeFencedOutcomes, bool]:
    """The outcomes after recording `outcome` of attempt `attempt`, the policy deciding."""
    outcomes = FakeFencedOutcomes()
    outcomes.running[4] = lease
    push = claimed(attempt)
    step = decide(outcome, attempt, SCHEDULE, random.Random(0))
    return outcomes, await record_push(outcomes, push, outcome, step, RESULTS, ALERTS)


async def test_an_applied_push_writes_its_row_mirror_and_result_together() -> None:
    outcomes, written = await recorded(Applied("4711", MODIFIED, 200))
    assert written
    row = outcomes.written[4]
    assert (row["status"], row["netsuite_id"], row["last_error"]) == ("applied", "4711", None)
    assert (row["applied_at"], row["next_attempt_at"]) == (DbNow(), None)
    ((_sql, mirror),) = outcomes.also
    assert mirror == {
        "m_netsuite_id": "4711", "m_last_modified": MODIFIED, "m_external_id": "cust-1",
    }  # fmt: skip
    assert outcomes.topics() == [RESULTS]
    result = NsPushResult.model_validate(outcomes.staged[0][1].data)
    assert (result.status, result.netsuite_id, result.attempts) == ("applied", "4711", 1)


async def test_a_retryable_answer_schedules_the_next_attempt_on_the_databases_clock() -> None:
    outcomes, written = await recorded(Retryable("HTTP 503", 503))
    assert written
    row = outcomes.written[4]
    assert (row["status"], row["last_error"]) == ("retrying", "HTTP 503")
    assert row["next_attempt_at"] == DbNow(SCHEDULE.window_s(1))
    assert "netsuite_id" not in row
    assert (outcomes.staged, outcomes.also) == ([], [])


async def test_the_last_allowed_attempt_fails_with_its_result_and_an_alert() -> None:
    outcomes, written = await recorded(Retryable("HTTP 503", 503), attempt=3)
    assert written
    row = outcomes.written[4]
    assert (row["status"], row["next_attempt_at"]) == ("failed", None)
    assert row["last_error"] == "gave up after 3 attempt(s): HTTP 503"
    assert outcomes.topics() == [RESULTS, ALERTS]
    result = NsPushResult.model_validate(outcomes.staged[0][1].data)
    assert (result.status, result.error) == ("failed", row["last_error"])
    alert = WorkflowAlert.model_validate(outcomes.staged[1][1].data)
    assert alert.context["http_status"] == 503
    assert outcomes.also == []


async def test_a_refusal_fails_at_once() -> None:
    outcomes, written = await recorded(Final("INVALID_FLD_VALUE", 400))
    assert written
    assert outcomes.written[4]["status"] == "failed"
    assert outcomes.topics() == [RESULTS, ALERTS]


async def test_a_late_answer_after_the_lease_was_lost_writes_nothing() -> None:
    retaken = datetime(2026, 5, 4, 9, 31, tzinfo=UTC)
    outcomes, written = await recorded(Applied("4711", MODIFIED, 200), lease=retaken)
    assert not written
    assert (outcomes.written, outcomes.staged, outcomes.also) == ({}, [], [])
    assert outcomes.running == {4: retaken}
