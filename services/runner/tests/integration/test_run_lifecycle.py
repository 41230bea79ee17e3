"""The runner as a real process on the real broker and database.

The test plays the other services' parts on the wire (a `proposal.approved` as the approvals
service publishes it, an `ns.push.result` as ns-pusher does) so the runner is tested alone.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw, read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import (
    Customer,
    CustomerProgram,
    EventRecord,
    NsPendingPush,
    ProposedAction,
    ReflexionEntry,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
)
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.normalize import normalize_company_name
from cascade.shared.payloads import NsPushResult, ProposalDecision, WorkflowRequested
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Acme, Inc.",
    "contact_email": "Ops@Acme.example",
    "billing_address": "1 Main St",
    "credit_limit": "2500.00",
    "pricing_tier": "gold",
}


async def publish(
    settings: Settings, topic: Topic, run_id: uuid.UUID, data: dict[str, Any], suffix: str = ""
) -> None:
    envelope = new_envelope(topic, "test", run_id, data, key_suffix=suffix)
    await produce_raw(
        settings.kafka_bootstrap,
        topic_name(settings.topic_prefix, topic),
        envelope.to_bytes(),
        str(run_id),
    )


async def request_run(settings: Settings, inputs: dict[str, Any]) -> uuid.UUID:
    run_id = uuid.uuid4()
    data = WorkflowRequested(workflow_type="new_customer", inputs=inputs).model_dump(mode="json")
    await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data)
    return run_id


async def run_status(factory: Factory, run_id: uuid.UUID) -> str | None:
    async with factory() as session:
        run = await session.get(WorkflowRun, run_id)
        return None if run is None else run.status


async def wait_status(factory: Factory, run_id: uuid.UUID, status: str) -> None:
    async def reached() -> bool:
        return await run_status(factory, run_id) == status

    await eventually(reached, within=60)


async def count(factory: Factory, model: type[Any], run_id: uuid.UUID) -> int:
    async with factory() as session:
        stmt = select(func.count()).select_from(model).where(model.run_id == run_id)
        return int((await session.execute(stmt)).scalar_one())


async def approve(factory: Factory, settings: Settings, run_id: uuid.UUID) -> ProposedAction:
    async with factory() as session, session.begin():
        proposal = (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.run_id == run_id,
                    ProposedAction.action_type == "workflow_new_customer",
                )
            )
        ).one()
        proposal.status, proposal.decided_by = "approved", "mike"
    decision = ProposalDecision(
        proposal_id=proposal.id,
        action_type=proposal.action_type,
        version=proposal.version,
        payload_sha256=proposal.payload_sha256,
        decided_by="mike",
    )
    await publish(
        settings,
        Topic.PROPOSAL_APPROVED,
        run_id,
        decision.model_dump(mode="json"),
        str(proposal.id),
    )
    return proposal


async def terminal_events(settings: Settings, run_id: uuid.UUID) -> list[Envelope]:
    found = []
    for topic in (Topic.WORKFLOW_COMPLETED, Topic.WORKFLOW_PARTIAL, Topic.WORKFLOW_FAILED):
        for _key, value in await read_all(
            settings.kafka_bootstrap, topic_name(settings.topic_prefix, topic)
        ):
            envelope = Envelope.from_bytes(value)
            if envelope.run_id == run_id:
                found.append(envelope)
    return found


async def test_happy_path_through_approval_push_and_post_actions(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await request_run(settings, INPUTS)
    await wait_status(session_factory, run_id, "awaiting_approval")
    async with session_factory() as session:
        customers = (await session.execute(select(func.count()).select_from(Customer))).scalar_one()
    assert customers == 0, "no side effect before approval"

    proposal = await approve(session_factory, settings, run_id)
    assert proposal.entity_ref == f"workflow:new_customer:run_{run_id}"

    async def push_staged() -> bool:
        return await count(session_factory, NsPendingPush, run_id) == 1

    await eventually(push_staged, within=60)
    async with session_factory() as session:
        push = (await session.scalars(select(NsPendingPush))).one()
        customer = (await session.scalars(select(Customer))).one()
    assert push.status == "pending"
    assert push.payload["companyName"] == "Acme, Inc."
    assert customer.companyname_normalized == normalize_company_name("Acme, Inc.")
    assert await run_status(session_factory, run_id) == "running", "waits for NetSuite"

    result = NsPushResult(
        push_id=push.id,
        record_type="customer",
        external_id=push.external_id,
        status="applied",
        netsuite_id="4242",
        attempts=1,
    )
    await publish(
        settings, Topic.NS_PUSH_RESULT, run_id, result.model_dump(mode="json"), str(push.id)
    )
    await wait_status(session_factory, run_id, "completed")

    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
        programs = (
            await session.execute(select(func.count()).select_from(CustomerProgram))
        ).scalar_one()
        email = (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.action_type == "propose_email_to_customer"
                )
            )
        ).one()
    assert customer.netsuite_id == "4242"
    assert programs == 4, "gold's default programs"
    assert email.status == "pending"
    assert email.payload["to"] == "Ops@Acme.example"
    for model, expected in (
        (WorkflowRunLog, 1),
        (ReflexionEntry, 1),
        (EventRecord, 1),
        (VerifyResult, 2),
    ):
        assert await count(session_factory, model, run_id) == expected, model.__name__

    async def one_completed_on_the_wire() -> bool:
        return len(await terminal_events(settings, run_id)) == 1

    await eventually(one_completed_on_the_wire, within=30)
    [event] = await terminal_events(settings, run_id)
    assert event.type == "workflow.completed"


async def test_duplicate_by_normalized_name_blocks_and_writes_nothing(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO customers (companyname, companyname_normalized, email) "
                "VALUES ('ACME Inc', :n, 'someone@else.example')"
            ),
            {"n": normalize_company_name("ACME Inc")},
        )
    start_service("runner")
    run_id = await request_run(settings, INPUTS)
    await wait_status(session_factory, run_id, "blocked")
    assert await count(session_factory, ProposedAction, run_id) == 0

    async def failed_event() -> bool:
        return len(await terminal_events(settings, run_id)) == 1

    await eventually(failed_event, within=30)
    [event] = await terminal_events(settings, run_id)
    assert event.type == "workflow.failed"
    assert event.data["failed_rules"] == ["no_duplicate"]
    async with session_factory() as session:
        total = (await session.execute(select(func.count()).select_from(Customer))).scalar_one()
    assert total == 1, "nothing written"
