"""The run page over HTTP: the history, what failed and why, Correct and re-push as a proposal.

The tests play the runner and ns-pusher: they write a partial run whose NetSuite push was
refused (400 INVALID_CONTENT on email) straight into PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import (
    ApprovalAudit,
    DeadLetter,
    NsPendingPush,
    ProposedAction,
    WorkflowRun,
    WorkflowRunStep,
)

from .conftest import UiHarness, csrf_of

pytestmark = pytest.mark.integration
REFUSED = (
    "HTTP 400 Bad Request: INVALID_CONTENT: Error while accessing resource: You have entered "
    "an Invalid Field Value not-an-email for the following field: email (at email)"
)
BODY = {"externalId": "cust-9", "companyName": "Acme", "email": "not-an-email"}


async def partial_run(ui: UiHarness, error: str = REFUSED) -> tuple[uuid.UUID, int]:
    run_id, now = uuid.uuid4(), datetime.now(UTC)
    async with ui.factory() as session, session.begin():
        session.add(WorkflowRun(
            run_id=run_id, workflow_type="new_customer", contract_version=2, status="partial",
            inputs={}, context={"existing_by_name": []}, requested_at=now, started_at=now,
            completed_at=now, error="step write_ns failed",
        ))  # fmt: skip
        await session.flush()
        gate = {"preconditions": [{"name": "valid_email", "severity": "warn", "passed": False}]}
        session.add(ProposedAction(
            run_id=run_id, action_type="workflow_new_customer", entity_ref="x", approver="mike",
            status="approved", payload=gate, payload_sha256=sha256_of(gate), version=1,
            decided_by="mike", decided_at=now,
        ))  # fmt: skip
        push = NsPendingPush(
            run_id=run_id, record_type="customer", external_id="cust-9", payload=BODY,
            status="failed", attempts=1, last_error=error,
        )  # fmt: skip
        session.add(push)
        await session.flush()
        session.add(WorkflowRunStep(
            run_id=run_id, step_id="write_ns", status="failed", attempts=1, last_error=error,
            output={"push_id": push.id}, started_at=now, finished_at=now,
        ))  # fmt: skip
        session.add(DeadLetter(
            consumer="runner.ns_push_result", message_ref="p:0:1", topic="t.ns.push.result",
            key=str(run_id), payload=b"{}", error="<b>boom</b>", attempts=5,
        ))  # fmt: skip
        return run_id, push.id


async def test_the_run_page_tells_the_story_and_offers_the_correction(ui: UiHarness) -> None:
    run_id, push_id = await partial_run(ui)
    async with ui.client() as client:
        await ui.login(client)
        page = await client.get(f"/runs/{run_id}")
        assert page.status_code == 200
        html = page.text
        assert 'id="timeline"' in html
        assert "NetSuite refused the customer: 400 INVALID_CONTENT on email" in html
        assert "the address is not valid" in html
        assert f'href="/runs/{run_id}/pushes/{push_id}/correct"' in html
        assert f"/pushes/{push_id}/retry" not in html, "no blind Retry on a permanent 400"
        assert "Message dead-lettered" in html
        assert "&lt;b&gt;boom&lt;/b&gt;" in html, "dead-letter text is escaped"
        assert '<time datetime="' in html
        assert 'href="/static/run.css"' in html
        graph = await client.get(f"/runs/{run_id}/graph.svg")
        assert graph.status_code == 200
        assert "style-src 'unsafe-inline'" in graph.headers["content-security-policy"]
        assert 'data-legend="run"' in graph.text
        assert "st-failed" in graph.text
        assert "{{" not in graph.text


async def test_a_transient_failure_keeps_retry(ui: UiHarness) -> None:
    run_id, push_id = await partial_run(ui, "HTTP 503: NetSuite is down")
    async with ui.client() as client:
        await ui.login(client)
        html = (await client.get(f"/runs/{run_id}")).text
        assert f"/pushes/{push_id}/retry" in html
        assert f"/pushes/{push_id}/correct" not in html
        assert (await client.get(f"/runs/{run_id}/pushes/{push_id}/correct")).status_code == 409


async def test_a_correction_becomes_an_audited_pending_proposal(ui: UiHarness) -> None:
    run_id, push_id = await partial_run(ui)
    url = f"/runs/{run_id}/pushes/{push_id}/correct"
    async with ui.client() as client:
        await ui.login(client)
        form_page = await client.get(url)
        assert form_page.status_code == 200
        assert 'type="email" id="field_email"' in form_page.text
        base = sha256_of(BODY)
        csrf = csrf_of(form_page.text)

        no_csrf = await client.post(url, data={"base_sha256": base, "field_email": "a@b.example"})
        assert no_csrf.status_code == 403

        bad = await client.post(
            url, data={"csrf_token": csrf, "base_sha256": base, "field_email": "still bad"}
        )
        assert bad.status_code == 422
        assert "Enter one email address, like orders@acme.example." in bad.text
        assert 'aria-describedby="error_email"' in bad.text

        good = await client.post(
            url,
            data={"csrf_token": csrf, "base_sha256": base, "field_email": "orders@acme.example"},
        )
        assert good.status_code == 303
        proposal_url = good.headers["location"]
        again = await client.post(
            url, data={"csrf_token": csrf, "base_sha256": base, "field_email": "x@acme.example"}
        )
        assert again.headers["location"] == proposal_url, "one pending correction per push"
        assert (await client.get(proposal_url)).status_code == 200

    proposal_id = int(proposal_url.rsplit("/", 1)[1])
    proposal = await ui.proposal(proposal_id)
    assert proposal.status == "pending"
    assert proposal.action_type == f"correct_ns_push:{push_id}:1"
    assert proposal.payload["body"]["email"] == "orders@acme.example"
    assert proposal.payload_sha256 == sha256_of(proposal.payload)
    [audit] = await ui.audit(proposal_id)
    assert (audit.decision, audit.actor) == ("correction_proposed", "mike")
    async with ui.factory() as session:
        push = await session.get(NsPendingPush, push_id)
        assert push is not None
        assert push.payload == BODY, "nothing changes on the push before Mike approves"
        audits = await session.scalars(select(ApprovalAudit).where(ApprovalAudit.run_id == run_id))
        assert len(audits.all()) == 1
