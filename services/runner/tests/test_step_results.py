"""NetSuite's answer to a push (`push_results.on_push_result`) and the step executor's round
(`executor.run_due_steps`), on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

from cascade.runner.agreement import Disagreement
from cascade.runner.executor import run_due_steps
from cascade.runner.push_results import on_push_result
from cascade.runner.start import start_run
from cascade.shared.db.statuses import PushStatus, RunStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import NsPushResult
from cascade.shared.topics import Topic, topic_name

from .fakes import NOW, PREFIX, RUN, FakeRunnerWork, deps, new_customer, requested

UNGATED = new_customer(approval=False)


async def pushed(uow: FakeRunnerWork) -> None:
    """Run RUN running, its NetSuite step waiting for push 1."""
    await start_run(deps(UNGATED), requested(), uow)
    uow.staged.clear()


def push_result(uow: FakeRunnerWork, status: str, error: str | None = None) -> Envelope:
    """What ns-pusher records on push 1 and publishes."""
    push = uow.pushes.rows[1]
    push.status, push.attempts, push.last_error = status, 2, error
    push.netsuite_id = "4711" if status == PushStatus.APPLIED else None
    data = NsPushResult(
        push_id=1,
        record_type=push.record_type,
        external_id=push.external_id,
        status=status,
        netsuite_id=push.netsuite_id,
        attempts=2,
    ).model_dump(mode="json")
    return new_envelope(Topic.NS_PUSH_RESULT, "ns-pusher", RUN, data, key_suffix="1")


async def test_an_applied_push_writes_back_and_releases_the_next_steps() -> None:
    uow = FakeRunnerWork()
    await pushed(uow)
    assert await on_push_result(deps(UNGATED), push_result(uow, PushStatus.APPLIED), uow) is None
    steps = uow.runs.step_rows[RUN]
    assert steps["write_ns"].status == "done"
    assert steps["write_ns"].output == {"push_id": 1, "netsuite_id": "4711"}
    writeback = [p for sql, p in uow.contract_sql.executed if "SET netsuite_id" in sql]
    assert writeback == [{"netsuite_id": "4711", "customer_id": 7}]
    # The welcome email is drafted in the same transaction; the object is queued.
    assert steps["welcome_email"].status == "done"
    (email,) = uow.proposals.rows.values()
    assert email.action_type == "propose_email_to_customer"
    assert steps["first_quote_context"].status == "awaiting_result"
    assert len(uow.object_puts.rows) == 1
    assert uow.runs.rows[RUN].status == RunStatus.RUNNING


async def test_a_failed_push_fails_its_step_and_skips_what_needs_it() -> None:
    uow = FakeRunnerWork()
    await pushed(uow)
    await on_push_result(deps(UNGATED), push_result(uow, PushStatus.FAILED, "HTTP 400 x"), uow)
    steps = uow.runs.step_rows[RUN]
    assert steps["write_ns"].status == "failed"
    assert steps["write_ns"].last_error == "NetSuite refused the customer: HTTP 400 x"
    assert steps["welcome_email"].status == "skipped"
    run = uow.runs.rows[RUN]
    assert run.status == RunStatus.PARTIAL
    assert uow.topics() == [topic_name(PREFIX, Topic.WORKFLOW_PARTIAL)]


async def test_a_result_the_push_row_contradicts_is_a_disagreement() -> None:
    uow = FakeRunnerWork()
    await pushed(uow)
    forged = push_result(uow, PushStatus.APPLIED)
    uow.pushes.rows[1].status = PushStatus.IN_FLIGHT
    found = await on_push_result(deps(UNGATED), forged, uow)
    assert isinstance(found, Disagreement)
    assert uow.runs.step_rows[RUN]["write_ns"].status == "awaiting_result"


async def test_a_replayed_result_changes_nothing() -> None:
    uow = FakeRunnerWork()
    await pushed(uow)
    applied = push_result(uow, PushStatus.APPLIED)
    await on_push_result(deps(UNGATED), applied, uow)
    executed, staged = len(uow.contract_sql.executed), list(uow.staged)
    assert await on_push_result(deps(UNGATED), applied, uow) is None
    assert len(uow.contract_sql.executed) == executed
    assert uow.staged == staged


async def test_a_failing_effect_is_undone_and_retried_later() -> None:
    uow = FakeRunnerWork()
    uow.contract_sql.fail_on = "INSERT INTO customer_programs"
    runner = deps(UNGATED)
    await start_run(runner, requested(), uow)
    steps = uow.runs.step_rows[RUN]
    # One savepoint for the effects: the customer row and the push are undone with it.
    assert uow.pushes.rows == {}
    assert uow.staged == []
    assert steps["assign_programs"].status == "retrying"
    assert steps["assign_programs"].attempts == 1
    assert steps["write_d1"].status == "ready"
    await uow.commit()
    assert runner.steps_due.rung  # the executor is woken by the commit


async def test_the_executor_runs_what_is_due_and_a_retry_once_its_back_off_passed() -> None:
    uow = FakeRunnerWork()
    uow.contract_sql.fail_on = "INSERT INTO customer_programs"
    await start_run(deps(UNGATED), requested(), uow)
    uow.contract_sql.fail_on = None
    # Now: the undone steps are due again, the failed one waits for its back-off.
    assert await run_due_steps(deps(UNGATED), uow, RUN)
    steps = uow.runs.step_rows[RUN]
    assert steps["write_ns"].status == "awaiting_result"
    assert (steps["assign_programs"].status, steps["assign_programs"].attempts) == ("retrying", 1)
    assert uow.committed
    uow.committed = False
    later = deps(UNGATED)
    object.__setattr__(later, "clock", lambda: NOW + timedelta(minutes=5))
    assert await run_due_steps(later, uow, RUN)
    assert (steps["assign_programs"].status, steps["assign_programs"].attempts) == ("done", 2)
    uow.committed = False
    assert not await run_due_steps(later, uow, RUN)  # nothing left due
    assert not uow.committed
