"""Mike's Execute form on the running approvals service: the form is generated from the
contract, bad input is refused with intake's words and changes nothing, a good one stages
one run request with its audit row, a double submit starts one run, and the run page shows
the run as requested until intake stages it (or why intake refused it)."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from cascade.shared.db.models import ApprovalAudit, DeadLetter, OutboxMessage
from cascade.shared.envelope import Envelope
from cascade.shared.run_requests.admin import admin_key, admin_run_id
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

FORM_KEY = re.compile(r'name="form_key" value="([0-9a-f-]{36})"')
CUSTOMER = {
    "company_name": "Execute Form Ltd",
    "contact_email": "orders@execute-form.example",
    "billing_address": "1 Form Street",
    "credit_limit": "12,000.50",
    "pricing_tier": "gold",
}


async def _form(client: Any, workflow_type: str = "new_customer") -> tuple[str, str]:
    page = await client.get(f"/execute/{workflow_type}")
    assert page.status_code == 200, page.text[:300]
    found = FORM_KEY.search(page.text)
    assert found is not None
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1), found.group(1)


async def _requests(ui: Any) -> list[Envelope]:
    topic = topic_name(ui.settings.topic_prefix, Topic.INTAKE_ADMIN_REQUESTED)
    async with ui.factory() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic))
        return [Envelope.from_bytes(r.payload) for r in rows.all()]


async def _starts(ui: Any) -> list[ApprovalAudit]:
    async with ui.factory() as session:
        rows = await session.scalars(
            select(ApprovalAudit).where(ApprovalAudit.decision == "run_started")
        )
        return list(rows.all())


async def test_the_list_offers_what_the_triggers_allow(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        listed = await client.get("/execute")
        event_only = await client.get("/execute/price_changed")
        digest = await client.get("/execute/stale_proposals_digest")
    assert listed.status_code == 200
    assert 'href="/execute/new_customer"' in listed.text
    assert 'href="/execute/stale_proposals_digest"' in listed.text  # cron, admin_execute: true
    assert "/execute/price_changed" not in listed.text  # event only
    assert event_only.status_code == 404
    assert digest.status_code == 200
    assert "default mike@cascade.example" in digest.text


async def test_bad_input_is_refused_with_intakes_words_and_changes_nothing(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        csrf, key = await _form(client)
        bad = {**CUSTOMER, "contact_phone": "call me", "credit_limit": "12,00.50"}
        del bad["billing_address"]
        refused = await client.post(
            "/execute/new_customer", data={"csrf_token": csrf, "form_key": key, **bad}
        )
    assert refused.status_code == 422
    assert "Nothing was started" in refused.text
    assert "Enter the billing address." in refused.text
    assert "Enter a phone number of 5–32 characters" in refused.text
    assert "commas only between groups of three digits" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert f'value="{key}"' in refused.text  # the same form: sending it again starts one run
    assert await _requests(ui) == []
    assert await _starts(ui) == []


async def test_a_start_is_audited_staged_once_and_shown_as_requested(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        csrf, key = await _form(client)
        form = {"csrf_token": csrf, "form_key": key, **CUSTOMER}
        first = await client.post("/execute/new_customer", data=form)
        again = await client.post("/execute/new_customer", data=form)  # a double submit
        other = await client.post(
            "/execute/new_customer", data={**form, "company_name": "Other Ltd"}
        )
        run_id = admin_run_id(admin_key(uuid.UUID(key)))
        page = await client.get(f"/runs/{run_id}")
        audit = await client.get("/audit")
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"] == f"/runs/{run_id}?done=started"
    assert other.status_code == 422
    assert "already sent with other values" in other.text
    [request] = await _requests(ui)
    assert (request.run_id, request.idempotency_key) == (run_id, f"admin:{key}")
    assert request.data["requested_by"] == "mike"
    assert request.data["request"]["workflow_type"] == "new_customer"
    assert request.data["request"]["inputs"]["credit_limit"] == "12000.50"  # read like intake
    [start] = await _starts(ui)
    assert (start.run_id, start.actor, start.proposal_id) == (run_id, "mike", None)
    assert page.status_code == 200
    assert 'id="run-status">requested' in page.text
    assert 'http-equiv="refresh"' in page.text
    assert start.reason is not None
    assert start.reason.endswith("(new_customer)")
    assert html.escape(start.reason) in audit.text
    assert f'href="/runs/{run_id}"' in audit.text


async def test_a_refused_request_says_why_and_stops_refreshing(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        csrf, key = await _form(client, "stale_proposals_digest")
        started = await client.post(
            "/execute/stale_proposals_digest", data={"csrf_token": csrf, "form_key": key}
        )
        run_id = admin_run_id(admin_key(uuid.UUID(key)))
        # What intake's consumer records when it dead-letters the request (e.g. the contract
        # changed between the two services).
        async with ui.factory() as session, session.begin():
            session.add(DeadLetter(
                consumer="intake.admin", message_ref=f"admin:{key}", key=str(run_id),
                topic="intake.admin_requested", payload=b"{}", attempts=1,
                error="invalid admin request: inputs.recipient: Enter the recipient.",
            ))  # fmt: skip
        page = await client.get(f"/runs/{run_id}")
    assert started.status_code == 303
    assert 'id="run-status">refused' in page.text
    assert "Enter the recipient." in page.text
    assert 'http-equiv="refresh"' not in page.text


async def test_no_session_no_csrf_no_key_starts_nothing(ui: Any) -> None:
    async with ui.client() as client:
        anonymous = await client.post("/execute/new_customer", data=CUSTOMER)
        await ui.login(client)
        csrf, key = await _form(client)
        no_csrf = await client.post("/execute/new_customer", data={"form_key": key, **CUSTOMER})
        forged_key = await client.post(
            "/execute/new_customer",
            data={"csrf_token": csrf, "form_key": "event:x", **CUSTOMER},
        )
        not_startable = await client.post(
            "/execute/price_changed", data={"csrf_token": csrf, "form_key": key}
        )
        unknown_run = await client.get(f"/runs/{uuid.uuid4()}")
    assert anonymous.status_code == 401
    assert no_csrf.status_code == 403
    assert forged_key.status_code == 422
    assert not_startable.status_code == 404
    assert unknown_run.status_code == 404
    assert await _requests(ui) == []
    assert await _starts(ui) == []
