"""The runner as a real process on the real broker and database.

The test plays the other services' parts on the wire (a `proposal.approved` as the approvals
service publishes it, an `ns.push.result` as ns-pusher does) so the runner is tested alone.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import (
    answer_push,
    awaiting_run,
    count_rows,
    decide_on_wire,
    request_run,
    run_status,
    staged_push,
    terminal_events,
    wait_status,
)
from cascade.shared.contract import load_contracts
from cascade.shared.db.models import (
    Customer,
    CustomerProgram,
    EventRecord,
    ProposedAction,
    ReflexionEntry,
    VerifyResult,
    WorkflowRunLog,
)
from cascade.shared.normalize import normalize_company_name
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Acme, Inc.",
    "contact_email": "Ops@Acme.example",
    "billing_address": "1 Main St",
    "credit_limit": "2500.00",
    "pricing_tier": "gold",
}


async def test_happy_path_through_approval_push_and_post_actions(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    assert await count_rows(session_factory, Customer) == 0, "no side effect before approval"

    proposal = await decide_on_wire(session_factory, settings, run_id, approve=True)
    assert proposal.entity_ref == f"workflow:new_customer:run_{run_id}"
    assert proposal.payload["inputs"] == INPUTS

    push = await staged_push(session_factory, run_id)
    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
    assert push.status == "pending"
    assert push.payload["companyName"] == "Acme, Inc."
    assert customer.companyname_normalized == normalize_company_name("Acme, Inc.")
    assert await run_status(session_factory, run_id) == "running", "waits for NetSuite"

    await answer_push(session_factory, settings, push, applied=True)
    await wait_status(session_factory, run_id, "completed")

    async with session_factory() as session:
        customer = (await session.scalars(select(Customer))).one()
        email = (
            await session.scalars(
                select(ProposedAction).where(
                    ProposedAction.action_type == "propose_email_to_customer"
                )
            )
        ).one()
    assert customer.netsuite_id == "4242"
    assert await count_rows(session_factory, CustomerProgram) == 4, "gold's default programs"
    assert email.status == "pending"
    assert email.payload["to"] == "Ops@Acme.example"
    for model, expected in (
        (WorkflowRunLog, 1),
        (ReflexionEntry, 1),
        (EventRecord, 1),
        (VerifyResult, len(load_contracts(settings.contracts_dir)["new_customer"].verify)),
    ):
        assert await count_rows(session_factory, model, run_id) == expected, model.__name__

    async def one_completed_on_the_wire() -> bool:
        return len(await terminal_events(settings, run_id)) == 1

    await eventually(one_completed_on_the_wire, within=30)
    [event] = await terminal_events(settings, run_id)
    assert event.type == "workflow.completed"
    assert event.idempotency_key == f"new_customer:{run_id}"


@pytest.mark.parametrize(
    ("existing_name", "existing_email"),
    [("ACME Inc", "someone@else.example"), ("Totally Different", " OPS@acme.EXAMPLE")],
    ids=["by-normalized-name", "by-email-case"],
)
async def test_duplicate_blocks_and_writes_nothing(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    existing_name: str,
    existing_email: str,
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO customers (companyname, companyname_normalized, email) "
                "VALUES (:name, :n, :email)"
            ),
            {
                "name": existing_name,
                "n": normalize_company_name(existing_name),
                "email": existing_email.strip(),
            },
        )
    start_service("runner")
    run_id = await request_run(settings, INPUTS)
    await wait_status(session_factory, run_id, "blocked")
    assert await count_rows(session_factory, ProposedAction, run_id) == 0

    async def failed_event() -> bool:
        return len(await terminal_events(settings, run_id)) == 1

    await eventually(failed_event, within=30)
    [event] = await terminal_events(settings, run_id)
    assert event.type == "workflow.failed"
    assert event.data["failed_rules"] == ["no_duplicate"]
    assert await count_rows(session_factory, Customer) == 1, "nothing written"


async def test_a_run_staged_before_a_contract_gained_context_queries_still_completes(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    """A run that waited for approval across an upgrade lacks the context the new contract's
    steps bind (here `terms_id`, `terms_name`): the context loaded again at approval fills
    what is missing, and what Mike saw keeps the values he approved."""
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    async with session_factory() as session, session.begin():
        await session.execute(
            text(
                "UPDATE workflow_runs SET context = context - 'terms_id' - 'terms_name'"
                " WHERE run_id = :run_id"
            ),
            {"run_id": run_id},
        )
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)
    await answer_push(session_factory, settings, push, applied=True)
    await wait_status(session_factory, run_id, "completed")
