"""The object worker's outcome of a PUT (`object_worker.record_object`, which finishes the
`object_put` step through `finish_object_step`), on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

from cascade.runner.object_jobs import PUT_ID, ClaimedObject
from cascade.runner.object_worker import ObjectAttempt, record_object
from cascade.runner.push_results import on_push_result
from cascade.runner.start import start_run
from cascade.shared.db.models import ObjectPut
from cascade.shared.db.statuses import ObjectPutStatus, PushStatus, RunStatus
from cascade.shared.envelope import new_envelope
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import NsPushResult
from cascade.shared.topics import Topic, topic_name

from .fakes import NOW, PREFIX, RUN, FakeRunnerWork, deps, new_customer, requested

UNGATED = new_customer(approval=False)
STEP = "first_quote_context"
LEASE = NOW + timedelta(minutes=1)
ALERT = topic_name(PREFIX, Topic.WORKFLOW_ALERT)


async def putting(uow: FakeRunnerWork) -> ObjectPut:
    """Run RUN running, its NetSuite push applied, its object claimed by this worker."""
    await start_run(deps(UNGATED), requested(), uow)
    push = uow.pushes.rows[1]
    push.status, push.netsuite_id, push.attempts = PushStatus.APPLIED, "4711", 1
    data = NsPushResult(
        push_id=1, record_type=push.record_type, external_id=push.external_id,
        status=PushStatus.APPLIED, netsuite_id="4711", attempts=1,
    ).model_dump(mode="json")  # fmt: skip
    applied = new_envelope(Topic.NS_PUSH_RESULT, "ns-pusher", RUN, data, key_suffix="1")
    await on_push_result(deps(UNGATED), applied, uow)
    (put,) = uow.object_puts.rows.values()
    put.status, put.lease_until = ObjectPutStatus.PUTTING, LEASE
    uow.staged.clear()
    return put  # type: ignore[no-any-return]


def claimed(put: ObjectPut, attempt: int = 1) -> ClaimedObject:
    return ClaimedObject(
        job_id=put.id, attempt=attempt, lease_until=LEASE, run_id=RUN, step_id=STEP,
        object_key=put.object_key, sha256=put.sha256, body=put.body,
        content_type=put.content_type,
    )  # fmt: skip


async def test_a_stored_object_finishes_its_step_and_the_run() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    assert await record_object(deps(UNGATED), uow, claimed(put), ObjectAttempt(JobStep("done")))
    assert put.status == ObjectPutStatus.STORED
    step = uow.runs.step_rows[RUN][STEP]
    assert (step.status, step.attempts, step.finished_at) == ("done", 1, NOW)
    assert step.output == {
        PUT_ID: put.id,
        "first_quote_context_key": put.object_key,
        "first_quote_context_sha256": put.sha256,
    }
    assert uow.runs.rows[RUN].status == RunStatus.COMPLETED
    assert uow.topics() == [topic_name(PREFIX, Topic.WORKFLOW_COMPLETED)]
    assert uow.committed


async def test_a_put_to_retry_records_the_job_and_leaves_the_step_waiting() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    retry = ObjectAttempt(JobStep("retrying", "HTTP 503", 2.0))
    assert await record_object(deps(UNGATED), uow, claimed(put), retry)
    assert put.status == ObjectPutStatus.RETRYING
    assert uow.runs.step_rows[RUN][STEP].status == "awaiting_result"
    assert uow.staged == []
    assert uow.committed


async def test_an_object_failed_for_good_fails_its_step_with_an_alert() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    failed = ObjectAttempt(JobStep("failed", "HTTP 403"))
    assert await record_object(deps(UNGATED), uow, claimed(put, attempt=3), failed)
    step = uow.runs.step_rows[RUN][STEP]
    assert (step.status, step.last_error) == (
        "failed",
        f"object {put.object_key} was not stored: HTTP 403",
    )
    (alert,) = uow.staged_on(ALERT)
    assert alert.data["reason"] == f"step {STEP} failed after 3 attempt(s)"
    assert uow.runs.rows[RUN].status == RunStatus.PARTIAL


async def test_an_outcome_after_the_lease_was_lost_writes_nothing() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    put.lease_until = LEASE + timedelta(minutes=1)  # another worker retook it
    assert not await record_object(deps(UNGATED), uow, claimed(put), ObjectAttempt(JobStep("done")))
    assert put.status == ObjectPutStatus.PUTTING
    assert uow.runs.step_rows[RUN][STEP].status == "awaiting_result"
    assert uow.staged == []
    assert not uow.committed


async def test_a_step_that_no_longer_waits_for_the_job_is_left_as_it_is() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    step = uow.runs.step_rows[RUN][STEP]
    step.output = {PUT_ID: put.id + 1}  # it waits for another job
    assert await record_object(deps(UNGATED), uow, claimed(put), ObjectAttempt(JobStep("done")))
    assert put.status == ObjectPutStatus.STORED
    assert step.status == "awaiting_result"
    assert uow.staged == []


async def test_the_object_of_a_run_that_ended_meanwhile_finishes_no_step() -> None:
    uow = FakeRunnerWork()
    put = await putting(uow)
    uow.runs.rows[RUN].status = RunStatus.FAILED
    assert await record_object(deps(UNGATED), uow, claimed(put), ObjectAttempt(JobStep("done")))
    assert put.status == ObjectPutStatus.STORED
    assert uow.runs.step_rows[RUN][STEP].status == "awaiting_result"
    assert uow.staged == []
