"""The business subject the runner writes on each run (title, summary, twin keys, search text),
the proposal's presentation (the NetSuite body exactly as it is staged), and the welcome email
waiting for NetSuite to have the customer."""

from __future__ import annotations

import uuid

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
    gate_proposal,
    request_run,
    staged_push,
    wait_status,
)
from cascade.shared.db.models import (
    CustomerProgram,
    ProposedAction,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.normalize import normalize_company_name
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Acme Corp",
    "contact_email": "Orders@Acme.example",
    "billing_address": "1 Main St",
    "credit_limit": "50000",
    "pricing_tier": "gold",
}
SUMMARY = [
    {"label": "Email", "value": "Orders@Acme.example"},
    {"label": "Tier", "value": "gold"},
    {"label": "Credit limit", "value": "50,000.00"},
    {"label": "Terms", "value": "Net 30"},
    {"label": "Sales rep", "value": "—"},
]
REFUSED = (
    "HTTP 400 Bad Request: INVALID_CONTENT: Error while accessing resource: You have entered "
    "an Invalid Field Value not-an-email for the following field: email (at email)"
)


async def the_run(factory: Factory, run_id: uuid.UUID) -> WorkflowRun:
    async with factory() as session:
        run = await session.get(WorkflowRun, run_id)
    assert run is not None
    return run


async def email_drafts(factory: Factory, run_id: uuid.UUID) -> int:
    async with factory() as session:
        rows = await session.scalars(
            select(ProposedAction).where(
                ProposedAction.run_id == run_id,
                ProposedAction.action_type == "propose_email_to_customer",
            )
        )
        return len(rows.all())


async def step(factory: Factory, run_id: uuid.UUID, step_id: str) -> WorkflowRunStep:
    async with factory() as session:
        row = await session.scalar(
            select(WorkflowRunStep).where(
                WorkflowRunStep.run_id == run_id, WorkflowRunStep.step_id == step_id
            )
        )
    assert row is not None
    return row


async def test_a_proposed_run_carries_its_subject_and_the_exact_netsuite_body(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    run = await the_run(session_factory, run_id)
    assert run.title == "Acme Corp"
    assert run.summary == SUMMARY
    assert run.twin_keys == ["acme", "orders@acme.example"]
    assert run.search_text is not None
    assert "acme corp" in run.search_text
    assert "orders@acme.example" in run.search_text

    proposal = await gate_proposal(session_factory, run_id)
    shown = proposal.payload["presentation"]
    assert shown["title"] == "Acme Corp"
    assert shown["summary"] == SUMMARY
    assert shown["sentence"] == (
        "Create Acme Corp in the mirror and in NetSuite — gold tier, Net 30, credit 50,000.00; "
        "assign Welcome kit, Loyalty points, Credit review, Volume rebate; "
        "draft a welcome email to Orders@Acme.example"
    )
    assert "{{" not in str(shown["changes"])
    assert "{{" not in str(shown["plumbing"])
    assert shown["warnings"] == []
    [request] = shown["netsuite"]
    assert request["method"] == "PUT"
    assert request["path"] == f"/services/rest/record/v1/customer/eid:cascade-customer-{run_id}"
    terms = {q["name"]: q for q in shown["queries"]}["terms_name"]
    assert terms["rows"] == [{"name": "Net 30"}]
    assert terms["params"] == {"terms": None}

    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)
    # What Mike approved is, byte for byte as JSON, what ns-pusher will send.
    assert push.payload == request["body"]
    assert push.external_id == f"cascade-customer-{run_id}"


async def test_a_blocked_run_carries_its_subject(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO customers (companyname, companyname_normalized, email) "
                "VALUES ('ACME Corp.', :n, 'someone@else.example')"
            ),
            {"n": normalize_company_name("ACME Corp.")},
        )
    start_service("runner")
    run_id = await request_run(settings, {**INPUTS, "terms": "net 30"})
    await wait_status(session_factory, run_id, "blocked")
    run = await the_run(session_factory, run_id)
    assert run.title == "Acme Corp"
    assert run.summary == SUMMARY
    assert run.twin_keys == ["acme", "orders@acme.example"]


async def test_runs_that_cannot_be_rendered_fall_back_to_what_is_known(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    bad = await request_run(settings, {**INPUTS, "credit_limit": "lots"})
    unknown = await request_run(settings, INPUTS, workflow_type="retired_workflow")
    await wait_status(session_factory, bad, "failed")
    await wait_status(session_factory, unknown, "failed")
    failed = await the_run(session_factory, bad)
    assert failed.title == "Acme Corp", "named by what it was sent with"
    assert {"label": "Credit limit", "value": "lots"} in (failed.summary or [])
    gone = await the_run(session_factory, unknown)
    assert (gone.title, gone.summary, gone.search_text) == (
        "retired_workflow",
        [],
        "retired_workflow",
    )


async def test_the_welcome_email_waits_for_netsuite_and_is_not_drafted_when_refused(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner")
    run_id = await awaiting_run(
        settings, session_factory, {**INPUTS, "contact_email": "not-an-email"}
    )
    proposal = await gate_proposal(session_factory, run_id)
    [warning] = proposal.payload["presentation"]["warnings"]
    assert warning["name"] == "valid_email"
    assert "400 INVALID_CONTENT" in warning["downstream"]

    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)

    async def programs_assigned() -> bool:
        return await count_rows(session_factory, CustomerProgram) == 4

    await eventually(programs_assigned, within=60)
    # Everything that could run has run; the email still waits for the push's answer.
    assert (await step(session_factory, run_id, "welcome_email")).status == "waiting_needs"

    await answer_push(session_factory, settings, push, applied=False, error=REFUSED)
    await wait_status(session_factory, run_id, "partial")
    assert await email_drafts(session_factory, run_id) == 0
    email = await step(session_factory, run_id, "welcome_email")
    assert (email.status, email.last_error) == ("skipped", "skipped because write_ns failed")
    run = await the_run(session_factory, run_id)
    assert run.error == (
        f"write_ns: NetSuite refused the customer: {REFUSED}; "
        "first_quote_context: skipped because write_ns failed; "
        "welcome_email: skipped because write_ns failed"
    )
