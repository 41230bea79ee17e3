"""Reject, expiry, warnings, replays and a crash in the middle of the fan-out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import (
    answer_push,
    awaiting_run,
    change_gate_proposal,
    count_rows,
    decide_on_wire,
    decision_of,
    events_of,
    gate_proposal,
    publish,
    request_run,
    run_status,
    staged_push,
    terminal_events,
    wait_consumed,
    wait_status,
)
from cascade.shared.db.models import (
    Customer,
    CustomerProgram,
    ProposedAction,
    ReflexionEntry,
    WorkflowRun,
    WorkflowRunLog,
)
from cascade.shared.payloads import WorkflowRequested
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Paths Ltd",
    "contact_email": "ops@paths.example",
    "billing_address": "9 Path Rd",
}


async def one_terminal_event(settings: Settings, run_id: uuid.UUID, kind: str) -> None:
    async def arrived() -> bool:
        return len(await terminal_events(settings, run_id)) >= 1

    await eventually(arrived, within=30)
    events = await terminal_events(settings, run_id)
    assert [e.type for e in events] == [kind]


async def test_reject_ends_the_run_with_nothing_written(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=False, reason="wrong tier")
    await wait_status(session_factory, run_id, "rejected")
    await one_terminal_event(settings, run_id, "workflow.failed")
    assert await count_rows(session_factory, Customer) == 0
    assert await count_rows(session_factory, WorkflowRunLog, run_id) == 1


async def test_expiry_ends_the_run_and_alerts(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await change_gate_proposal(
        session_factory, run_id, expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    await wait_status(session_factory, run_id, "expired")
    assert (await gate_proposal(session_factory, run_id)).status == "expired"
    await one_terminal_event(settings, run_id, "workflow.failed")

    async def alerted() -> bool:
        return len(await events_of(settings, (Topic.WORKFLOW_ALERT,), run_id)) == 1

    await eventually(alerted, within=30)
    assert await count_rows(session_factory, Customer) == 0


async def test_email_without_at_is_shown_to_mike_as_a_warning(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(
        settings, session_factory, {**INPUTS, "contact_email": "ops.paths.example"}
    )
    proposal = await gate_proposal(session_factory, run_id)
    assert proposal.payload["warnings"] == ["valid_email"]
    [outcome] = [p for p in proposal.payload["preconditions"] if p["name"] == "valid_email"]
    assert outcome == {**outcome, "severity": "warn", "passed": False}


async def test_approval_delivered_twice_and_a_second_approval_do_nothing_twice(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    proposal = await decide_on_wire(session_factory, settings, run_id, approve=True)
    decision = decision_of(proposal)
    # The same event again (same key: a relay duplicate) and another key (a second approval).
    await publish(settings, Topic.PROPOSAL_APPROVED, run_id, decision, str(proposal.id))
    await publish(settings, Topic.PROPOSAL_APPROVED, run_id, decision, "second")

    await staged_push(session_factory, run_id)
    assert await count_rows(session_factory, Customer) == 1
    assert await count_rows(session_factory, CustomerProgram) == 2


@pytest.mark.parametrize(
    "crash_at",
    [
        "runner_step_write_d1_after_commit",
        "runner_step_assign_programs_before_commit",
        "runner_mid_fanout",
    ],
)
async def test_runner_killed_mid_fanout_does_everything_once(
    settings: Settings, session_factory: Factory, start_service: StartService, crash_at: str
) -> None:
    runner = start_service("runner", {"CASCADE_CRASH_AT": crash_at})
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    assert runner.wait_exit(timeout=60) == -9, "the runner must have died at the crash point"

    start_service("runner")

    push = await staged_push(session_factory, run_id)

    async def programs_assigned() -> bool:
        return await count_rows(session_factory, CustomerProgram) == 2

    await eventually(programs_assigned, within=60)
    assert await count_rows(session_factory, Customer) == 1
    # The welcome email is drafted once NetSuite has the customer.
    await answer_push(session_factory, settings, push, applied=True)
    await wait_status(session_factory, run_id, "completed")
    await one_terminal_event(settings, run_id, "workflow.completed")
    async with session_factory() as session:
        drafts = (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.action_type == "propose_email_to_customer"
                )
            )
        ).all()
    assert len(drafts) == 1


async def test_a_contract_below_the_gate_runs_straight_through(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(text("INSERT INTO items (id, name) VALUES ('SKU-1', 'Widget')"))
    start_service("runner")
    inputs = {
        "item_id": "SKU-1",
        "pricing_tier": "gold",
        "new_price": "12.5000",
        "effective_date": "2026-12-01",
    }
    run_id = await request_run(settings, inputs, workflow_type="price_changed")
    await wait_status(session_factory, run_id, "completed")
    assert await count_rows(session_factory, ProposedAction, run_id) == 0, "risk 2: no gate"
    async with session_factory() as session:
        price = (await session.execute(text("SELECT unit_price FROM item_prices"))).scalar_one()
    assert str(price) == "12.5000"
    await one_terminal_event(settings, run_id, "workflow.completed")


async def test_a_request_for_a_removed_contract_fails_with_one_event(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await request_run(settings, INPUTS, workflow_type="retired_workflow")
    await wait_status(session_factory, run_id, "failed")
    await one_terminal_event(settings, run_id, "workflow.failed")
    assert await count_rows(session_factory, WorkflowRunLog, run_id) == 1


async def test_an_overdue_proposal_reminds_once(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")

    async def overdue_and_reminded(inputs: dict[str, str]) -> uuid.UUID:
        run = await awaiting_run(settings, session_factory, inputs)
        await change_gate_proposal(
            session_factory, run, created_at=datetime.now(UTC) - timedelta(hours=2)
        )

        async def reminded() -> bool:
            return len(await events_of(settings, (Topic.WORKFLOW_ALERT,), run)) >= 1

        await eventually(reminded, within=30)
        return run

    run_id = await overdue_and_reminded(INPUTS)
    # Two markers, one after the other: the sweep that reminds the second starts after the
    # one that reminded the first has finished, and that one looked at `run_id` again. The
    # relay publishes in staging order, so a second reminder would be on the wire by now.
    for n in (1, 2):
        await overdue_and_reminded(
            {**INPUTS, "company_name": f"Marker {n}", "contact_email": f"m{n}@marker.example"}
        )
    [alert] = await events_of(settings, (Topic.WORKFLOW_ALERT,), run_id)
    assert alert.data["reason"] == "approval overdue"
    assert alert.data["detail"].startswith(f"{INPUTS['company_name']} (proposal ")
    assert await run_status(session_factory, run_id) == "awaiting_approval"


async def test_workflow_requested_delivered_twice_makes_one_run(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = uuid.uuid4()
    data = WorkflowRequested(workflow_type="new_customer", inputs=INPUTS).model_dump(mode="json")
    envelope = await publish(settings, Topic.WORKFLOW_REQUESTED, run_id, data)
    await produce_raw(
        settings.kafka_bootstrap,
        topic_name(settings.topic_prefix, Topic.WORKFLOW_REQUESTED),
        envelope.to_bytes(),
        str(run_id),
    )
    await wait_status(session_factory, run_id, "awaiting_approval")
    await wait_consumed(settings, "runner.workflow_requested", Topic.WORKFLOW_REQUESTED)
    assert await count_rows(session_factory, ProposedAction, run_id) == 1
    assert await count_rows(session_factory, WorkflowRun, run_id) == 1


async def test_a_push_netsuite_never_confirmed_ends_the_run_partial(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)

    await answer_push(
        session_factory, settings, await staged_push(session_factory, run_id), applied=False
    )
    await wait_status(session_factory, run_id, "partial")
    await one_terminal_event(settings, run_id, "workflow.partial")
    assert await count_rows(session_factory, Customer) == 1, "what was done stays done"


async def test_prior_reflexions_about_the_email_domain_reach_the_proposal(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            ReflexionEntry(
                run_id=uuid.uuid4(),
                workflow_type="new_customer",
                narrative="Earlier run for paths.example ended blocked.",
                tags=["new_customer"],
                subject_key="paths",
                email_domain="paths.example",
            )
        )
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, {**INPUTS, "company_name": "Paths Two"})
    prior = (await gate_proposal(session_factory, run_id)).payload["context"]["prior_reflexions"]
    assert [p["narrative"] for p in prior] == ["Earlier run for paths.example ended blocked."]
