"""What the pages show, and that hostile input in any field is shown as text, never run."""

from __future__ import annotations

import html
import uuid
from typing import Any

import pytest

from cascade.devstack.waiting import eventually
from cascade.shared.db.models import NsPendingPush

pytestmark = pytest.mark.integration

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
RAW = ("<script>alert", "<img src=x")
INPUT_NAMES = (
    "company_name", "contact_email", "contact_phone", "billing_address", "shipping_address",
    "credit_limit", "terms", "sales_rep", "pricing_tier",
)  # fmt: skip


def hostile_payload() -> dict[str, Any]:
    """Every field the runner copies from the request, and every review section, hostile."""
    inputs = {name: f"{name}:{XSS}" for name in INPUT_NAMES}
    return {
        "inputs": inputs,
        "context": {"existing_by_name": [{"id": 1, "companyname": XSS}], XSS: XSS},
        "preconditions": [{"name": XSS, "severity": "warn", "passed": False, "message": XSS}],
        "warnings": [XSS],
        "what_changes": [{"system": XSS, "resource": XSS, "action": XSS, "source": XSS}],
    }


def assert_inert(page: str) -> None:
    for raw in RAW:
        assert raw not in page, raw
    assert html.escape("<script>alert(", quote=False) in page


async def test_every_input_field_is_rendered_inert(ui: Any) -> None:
    seeded = await ui.seed(hostile_payload(), entity_ref=XSS, inputs={"company_name": XSS})
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        proposal = await client.get(f"/proposals/{seeded.proposal_id}")
        rejected = await client.post(
            f"/proposals/{seeded.proposal_id}/reject", data=seeded.form(csrf, reason=XSS)
        )
        pages = [proposal, await client.get("/?status=all")]
        pages += [await client.get("/audit"), await client.get(f"/runs/{seeded.run_id}")]
        pages += [await client.get(f"/proposals/{seeded.proposal_id}")]
    assert proposal.status_code == 200
    assert rejected.status_code == 303
    for name in INPUT_NAMES:
        assert html.escape(f"{name}:<script>", quote=False) in proposal.text
    for page in pages:
        assert page.status_code == 200
        assert_inert(page.text)


async def test_email_draft_is_edited_approved_and_sent_once(ui: Any) -> None:
    draft = {
        "run_id": str(uuid.uuid4()), "step_id": "welcome_email",
        "tool": "propose_email_to_customer", "to": "jane@acme.example", "subject": "Welcome",
        "body": "Hello Jane",
    }  # fmt: skip
    seeded = await ui.seed(draft, action_type="propose_email_to_customer")
    url = f"/proposals/{seeded.proposal_id}"
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        shown = await client.get(url)
        edit = seeded.form(csrf, subject="Welcome aboard", body="Hello Jane,\nwelcome!")
        edited = await client.post(f"{url}/edit", data=edit)
        stale = await client.post(f"{url}/approve", data=seeded.form(csrf))
        assert ui.mailbox.messages == [], "nothing is sent before approval"
        current = await ui.proposal(seeded.proposal_id)
        form = {"csrf_token": csrf, "version": "2", "payload_sha256": current.payload_sha256}
        approved = await client.post(f"{url}/approve", data=form)
        sent = await _eventually_sent(ui, client, url)
    assert "Hello Jane" in shown.text
    assert (edited.status_code, stale.status_code, approved.status_code) == (303, 409, 303)
    assert current.payload["body"] == "Hello Jane,\nwelcome!"
    assert [a.decision for a in await ui.audit(seeded.proposal_id)] == ["edited", "approved"]
    [message] = ui.mailbox.messages
    assert (message["To"], message["Subject"]) == ("jane@acme.example", "Welcome aboard")
    # SMTP carries CRLF line endings.
    assert message.get_payload().replace("\r\n", "\n").strip() == "Hello Jane,\nwelcome!"
    assert message["Message-ID"] == f"<cascade-proposal-{seeded.proposal_id}-v2@cascade.example>"
    assert html.escape(message["Message-ID"]) in sent


async def _eventually_sent(ui: Any, client: Any, url: str) -> str:
    last: list[str] = []

    async def page_says_sent() -> bool:
        last[:] = [(await client.get(url)).text]
        return "Sent " in last[0]

    try:
        await eventually(page_says_sent, within=30)
    except AssertionError:
        raise AssertionError(f"never sent; smtp got {len(ui.mailbox.messages)}") from None
    return last[0]


async def test_failed_push_retry_is_staged_and_audited(ui: Any) -> None:
    seeded = await ui.seed({"inputs": {}}, inputs={})
    async with ui.factory() as session, session.begin():
        push = NsPendingPush(
            run_id=seeded.run_id, record_type="customer", external_id="cust-1",
            payload={}, status="failed", attempts=3, last_error="HTTP 500",
        )  # fmt: skip
        session.add(push)
        await session.flush()
        push_id = push.id
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        page = await client.get(f"/runs/{seeded.run_id}")
        retried = await client.post(
            f"/runs/{seeded.run_id}/pushes/{push_id}/retry", data={"csrf_token": csrf}
        )
    assert "/retry" in page.text
    assert retried.status_code == 303
    assert [a.decision for a in await ui.audit(seeded.proposal_id)] == ["ns_push_retry_requested"]
    assert await ui.outbox_count() == 1
