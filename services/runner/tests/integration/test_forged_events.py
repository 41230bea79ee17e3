"""Events that disagree with the database: ignored, alerted, and never in the real one's way.

A forger who can publish to Kafka knows everything the real producer would put in an event,
idempotency key included (`proposal.approved:<run>:<proposal>`, `ns.push.result:<run>:<push>:
applied`). So each test forges the event with the real one's key first, then lets the real
producer (the approvals service's compare-and-set, the real ns-pusher) publish, and checks
that the run follows the real event alone.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.approvals.decisions import Decision, DecisionRequest, decide
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.devstack.kafka_inspect import group_lag, produce_raw
from cascade.devstack.netsuite_sim import client_env, start_simulator
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import (
    awaiting_run,
    count_rows,
    decide_on_wire,
    decision_of,
    events_of,
    gate_proposal,
    publish,
    run_status,
    staged_push,
    terminal_events,
    wait_status,
)
from cascade.shared.db.models import (
    Customer,
    EventRecord,
    NsPendingPush,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPushResult, WorkflowRequested
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Forgery Checks Ltd",
    "contact_email": "ops@forgery.example",
    "billing_address": "3 Trust Rd",
}
DISAGREES = "event_disagrees_with_database"


async def consumed(settings: Settings, consumer: str, topic: Topic) -> None:
    """Wait until the runner's `consumer` has committed every record on `topic`."""
    group = f"{settings.consumer_group_prefix}.{consumer}"
    name = topic_name(settings.topic_prefix, topic)

    async def lag_zero() -> bool:
        return await group_lag(settings.kafka_bootstrap, group, name) == 0

    lag_zero.__name__ = f"{consumer}_lag_zero"
    await eventually(lag_zero, within=60)


async def disagreement_alerts(settings: Settings, run_id: uuid.UUID) -> list[Envelope]:
    """The run's alerts about an event the database contradicted, once it has one."""

    async def alerted() -> bool:
        alerts = await events_of(settings, (Topic.WORKFLOW_ALERT,), run_id)
        return any(a.data["reason"] == DISAGREES for a in alerts)

    await eventually(alerted, within=30)
    alerts = await events_of(settings, (Topic.WORKFLOW_ALERT,), run_id)
    return [a for a in alerts if a.data["reason"] == DISAGREES]


async def decide_for_real(
    factory: Factory, settings: Settings, run_id: uuid.UUID, decision: Decision
) -> None:
    """Mike's decision through the approvals service's own compare-and-set (with its outbox
    row, which the runner's relay publishes)."""
    proposal = await gate_proposal(factory, run_id)
    request = DecisionRequest(
        proposal_id=proposal.id,
        decision=decision,
        version=proposal.version,
        payload_sha256=proposal.payload_sha256,
        actor="mike",
        remote_addr="127.0.0.1",
        reason="checked by phone" if decision == "rejected" else None,
    )
    async with UnitOfWork(factory) as uow:
        await decide(SqlApprovalsWork(uow), request, settings.topic_prefix)


@pytest.mark.parametrize(
    ("topic", "consumer", "decision", "ending"),
    [
        (Topic.PROPOSAL_APPROVED, "runner.proposal_approved", "approved", "running"),
        (Topic.PROPOSAL_REJECTED, "runner.proposal_rejected", "rejected", "rejected"),
    ],
    ids=["approved", "rejected"],
)
async def test_a_forged_decision_is_ignored_and_the_real_one_still_counts(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    topic: Topic,
    consumer: str,
    decision: Decision,
    ending: str,
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    proposal = await gate_proposal(session_factory, run_id)
    forged = decision_of(proposal, decided_by="mallory", reason="forged")
    # Straight to Kafka, with the very key the approvals service will give the real event.
    await publish(settings, topic, run_id, forged, str(proposal.id))
    await consumed(settings, consumer, topic)

    assert await run_status(session_factory, run_id) == "awaiting_approval"
    assert (await gate_proposal(session_factory, run_id)).status == "pending"
    [alert] = await disagreement_alerts(settings, run_id)
    assert f"proposal {proposal.id} is pending" in alert.data["detail"]
    assert alert.data["context"]["topic"] == str(topic)
    assert await terminal_events(settings, run_id) == []

    await decide_for_real(session_factory, settings, run_id, decision)
    await wait_status(session_factory, run_id, ending)
    if decision == "approved":
        await staged_push(session_factory, run_id)
        assert await count_rows(session_factory, Customer) == 1
    else:
        async with session_factory() as session:
            run = await session.get(WorkflowRun, run_id)
        assert run is not None
        assert run.error is not None
        assert "mike" in run.error
        assert "mallory" not in run.error


async def test_a_decision_for_another_runs_proposal_is_ignored(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    victim = await awaiting_run(settings, session_factory, INPUTS)
    other = await awaiting_run(
        settings, session_factory, {**INPUTS, "company_name": "Other Co", "contact_email": "o@o.ex"}
    )
    # A real approval of the other run's proposal, replayed under the victim's run id.
    approved = await decide_on_wire(session_factory, settings, other, approve=True)
    await wait_status(session_factory, other, "running")
    replayed = decision_of(approved)
    await publish(settings, Topic.PROPOSAL_APPROVED, victim, replayed, "replayed")
    [alert] = await disagreement_alerts(settings, victim)
    assert f"belongs to run {other}" in alert.data["detail"]
    assert await run_status(session_factory, victim) == "awaiting_approval"


async def test_a_forged_push_result_is_ignored_and_the_real_push_completes_the_run(
    settings: Settings, session_factory: Factory, start_service: StartService, tmp_path: Path
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)  # in flight: no ns-pusher runs yet
    forged = NsPushResult(
        push_id=push.id,
        record_type=push.record_type,
        external_id=push.external_id,
        status="applied",
        netsuite_id="FORGED-999",
        attempts=1,
    ).model_dump(mode="json")
    # ns-pusher's key for this push's applied result, so the real one would be a "duplicate".
    await publish(settings, Topic.NS_PUSH_RESULT, run_id, forged, f"{push.id}:applied")
    await consumed(settings, "runner.ns_push_result", Topic.NS_PUSH_RESULT)

    assert await run_status(session_factory, run_id) == "running"
    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
        row = await session.get(NsPendingPush, push.id)
        step = (
            await session.scalars(
                select(WorkflowRunStep).where(
                    WorkflowRunStep.run_id == run_id, WorkflowRunStep.step_id == "write_ns"
                )
            )
        ).one()
    assert customer.netsuite_id is None, "the forged NetSuite id never reaches the mirror"
    assert row is not None
    assert row.status == "pending"
    assert row.netsuite_id is None
    assert step.status == "awaiting_result"
    [alert] = await disagreement_alerts(settings, run_id)
    assert f"push {push.id} is pending" in alert.data["detail"]

    sim = start_simulator(start_service, tmp_path / "sim")
    start_service("ns_pusher", client_env(sim))
    await wait_status(session_factory, run_id, "completed")
    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
    assert customer.netsuite_id is not None
    assert customer.netsuite_id != "FORGED-999"


async def test_a_result_that_disagrees_with_the_recorded_outcome_is_ignored(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)
    # ns-pusher recorded a failure; the forger claims it was applied.
    async with session_factory() as session, session.begin():
        row = await session.get(NsPendingPush, push.id)
        assert row is not None
        row.status, row.attempts, row.last_error = "failed", 3, "HTTP 500 on every attempt"
    forged: dict[str, Any] = NsPushResult(
        push_id=push.id,
        record_type=push.record_type,
        external_id=push.external_id,
        status="applied",
        netsuite_id="FORGED-999",
        attempts=1,
    ).model_dump(mode="json")
    await publish(settings, Topic.NS_PUSH_RESULT, run_id, forged, f"{push.id}:applied")
    [alert] = await disagreement_alerts(settings, run_id)
    assert "is failed in the database, not applied" in alert.data["detail"]
    assert await run_status(session_factory, run_id) == "running"

    real = {**forged, "status": "failed", "netsuite_id": None, "attempts": 3, "error": "x"}
    await publish(settings, Topic.NS_PUSH_RESULT, run_id, real, f"{push.id}:failed")
    await wait_status(session_factory, run_id, "partial")
    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
    assert customer.netsuite_id is None


async def test_a_request_whose_inputs_fail_the_contract_ends_as_one_failed_run(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = uuid.uuid4()
    inputs = {"company_name": 42, "billing_address": "1 Main St"}  # wrong type, email missing
    data = WorkflowRequested(workflow_type="new_customer", inputs=inputs).model_dump(mode="json")
    envelope = await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data)
    await wait_status(session_factory, run_id, "failed")

    # Redelivered (same key) and requested again (another key, same run): still one run.
    name = topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    await produce_raw(settings.kafka_bootstrap, name, envelope.to_bytes(), str(run_id))
    await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data, "again")
    await consumed(settings, "runner.workflow_requested", Topic.WORKFLOW_REQUESTED)

    async with session_factory() as session:
        run = await session.get(WorkflowRun, run_id)
        log = (
            await session.scalars(select(WorkflowRunLog).where(WorkflowRunLog.run_id == run_id))
        ).one()
        ledger = (
            await session.scalars(select(EventRecord).where(EventRecord.run_id == run_id))
        ).all()
    assert run is not None
    assert run.status == "failed"
    assert run.error is not None
    assert "company_name" in run.error
    assert "contact_email" in run.error
    fields = {e["field"] for e in log.summary_json["input_errors"]}
    assert fields == {"inputs.company_name", "inputs.contact_email"}
    assert [e.type for e in ledger] == ["workflow.failed"]

    async def one_failed_on_the_wire() -> bool:
        return len(await terminal_events(settings, run_id)) >= 1

    await eventually(one_failed_on_the_wire, within=30)
    [event] = await terminal_events(settings, run_id)
    assert event.type == "workflow.failed"
    assert "contact_email" in (event.data["reason"] or "")
    assert await count_rows(session_factory, WorkflowRun, run_id) == 1


async def test_a_request_with_nul_characters_ends_as_one_failed_run(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    # PostgreSQL cannot store U+0000 in text or jsonb: the run row itself must not carry it.
    start_service("runner")
    run_id = uuid.uuid4()
    inputs = {**INPUTS, "company_name": "Nul\x00 Ltd"}
    data = WorkflowRequested(workflow_type="new_customer", inputs=inputs).model_dump(mode="json")
    await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data)
    await wait_status(session_factory, run_id, "failed")
    async with session_factory() as session:
        run = await session.get(WorkflowRun, run_id)
    assert run is not None
    assert run.error is not None
    assert "inputs.company_name" in run.error
    assert "\x00" not in run.inputs["company_name"]

    async def one_failed_on_the_wire() -> bool:
        return len(await terminal_events(settings, run_id)) >= 1

    await eventually(one_failed_on_the_wire, within=30)
    assert [e.type for e in await terminal_events(settings, run_id)] == ["workflow.failed"]
