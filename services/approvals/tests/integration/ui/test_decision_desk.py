"""The proposal page as Mike's decision desk: what the top block says, "& next", the states
that must never mislead, twins, the fallback for old payloads and the approval window.

Like the rest of these tests, they play the runner by writing rows straight into PostgreSQL.
"""

from __future__ import annotations

import html
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import update

from cascade.approvals.twins import twins_for
from cascade.shared.db.models import Customer, EventRecord, ProposedAction, WorkflowRun
from cascade.shared.normalize import normalize_company_name

pytestmark = pytest.mark.integration

SENTENCE = (
    "Create Acme Corp in the mirror and in NetSuite — gold tier, Net 30, credit 50,000.00; "
    "draft a welcome email to not-an-email"
)
NS_BODY = {"externalId": "cascade-customer-r1", "companyName": "Acme Corp", "email": "x"}


def presented(name: str = "Acme Corp", email: str = "not-an-email") -> dict[str, Any]:
    """A payload as the runner writes it once it carries `presentation` (COMMON.md shape)."""
    inputs = {"company_name": name, "contact_email": email, "pricing_tier": "gold"}
    return {
        "inputs": inputs,
        "context": {"existing_by_name": None, "existing_by_email": None, "default_terms": 3},
        "preconditions": [
            {
                "name": "no_duplicate",
                "severity": "block",
                "passed": True,
                "message": "A customer with this name or email already exists.",
            },
            {"name": "valid_email", "severity": "warn", "passed": False, "message": None},
        ],
        "warnings": ["valid_email"],
        "what_changes": [{"system": "kafka", "resource": "workflow.completed", "action": "emit"}],
        "presentation": {
            "title": name,
            "summary": [{"label": "Email", "value": email}, {"label": "Tier", "value": "gold"}],
            "sentence": SENTENCE,
            "changes": [{"system": "NetSuite", "resource": "customer", "says": f"Create {name}"}],
            "plumbing": [
                {
                    "system": "kafka",
                    "resource": "workflow.completed",
                    "action": "emit",
                    "source": "runner",
                }
            ],
            "warnings": [
                {
                    "name": "invalid_email",
                    "message": "The contact email has no @.",
                    "downstream": "NetSuite will refuse it (400 INVALID_CONTENT).",
                }
            ],
            "queries": [
                {
                    "name": "default_terms",
                    "sql": "SELECT id FROM payment_terms",
                    "params": {"terms": "Net 30"},
                    "rows": [{"id": 3, "name": "Net 30"}],
                }
            ],
            "statements": [
                {
                    "step": "write_d1",
                    "sql": "INSERT INTO customers (companyname)",
                    "params": {"company_name": name},
                }
            ],
            "netsuite": [
                {
                    "step": "write_ns",
                    "record_type": "customer",
                    "method": "PUT",
                    "path": "/record/v1/customer/eid:cascade-customer-r1",
                    "body": NS_BODY,
                }
            ],
        },
    }


def old_payload(name: str = "Oldco Ltd") -> dict[str, Any]:
    """A payload staged before `presentation` existed."""
    return {
        "inputs": {"company_name": name, "contact_email": "ap@oldco.example"},
        "context": {"existing_by_name": None, "default_programs": [{"id": 1, "name": "Kit"}]},
        "preconditions": [
            {
                "name": "no_duplicate",
                "severity": "block",
                "passed": True,
                "message": "A customer with this name or email already exists.",
            },
            {"name": "valid_email", "severity": "warn", "passed": False, "message": None},
        ],
        "warnings": ["valid_email"],
        "what_changes": [
            {
                "system": "postgres",
                "resource": "customers",
                "action": "INSERT",
                "source": "write_d1",
            }
        ],
    }


def without_payload(page: str) -> str:
    """The page without its raw payload <pre> (which holds every message verbatim)."""
    start = page.index('<pre id="payload">')
    return page[:start] + page[page.index("</pre>", start) :]


async def set_run(ui: Any, run_id: uuid.UUID, **values: Any) -> None:
    async with ui.factory() as session, session.begin():
        await session.execute(
            update(WorkflowRun).where(WorkflowRun.run_id == run_id).values(**values)
        )


async def set_proposal(ui: Any, proposal_id: int, **values: Any) -> None:
    async with ui.factory() as session, session.begin():
        await session.execute(
            update(ProposedAction).where(ProposedAction.id == proposal_id).values(**values)
        )


async def test_the_top_block_decides_and_approve_keeps_the_comment(ui: Any) -> None:
    seeded = await ui.seed(presented(), inputs=presented()["inputs"])
    url = f"/proposals/{seeded.proposal_id}"
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        shown = await client.get(url)
        comment = "Checked with sales: they will send the right email."
        form = seeded.form(csrf, comment=comment, then="stay")
        approved = await client.post(f"{url}/approve", data=form)
        after = await client.get(approved.headers["location"])
    page = shown.text
    decision = page[page.index('id="decision"') : page.index('class="details"')]
    assert html.escape(SENTENCE, quote=False) in decision
    assert 'id="approve"' in decision
    assert 'id="approve-next"' in decision
    assert 'id="reject"' in decision
    assert 'id="reject-next"' in decision
    assert 'id="comment"' in decision
    assert 'id="reason"' in decision
    # The warning is named, with its message and what NetSuite will do with it.
    assert "invalid email" in decision
    assert "The contact email has no @." in decision
    assert "NetSuite will refuse it (400 INVALID_CONTENT)." in decision
    # A passed rule never shows its failure text; nothing blocks.
    assert "already exists" not in without_payload(page)
    assert "No blocking rule failed." in decision
    # Behind the decision: SQL with its bound values and rows, the NetSuite body as sent.
    for part in ("SELECT id FROM payment_terms", ":terms", "Net 30", "INSERT INTO customers"):
        assert part in page
    assert str(escape('"companyName": "Acme Corp"')) in page
    assert approved.status_code == 303
    assert approved.headers["location"] == f"{url}?done=approved"
    row = await ui.proposal(seeded.proposal_id)
    assert (row.status, row.decision_reason) == ("approved", comment)
    [audit] = await ui.audit(seeded.proposal_id)
    assert (audit.decision, audit.reason) == ("approved", comment)
    assert html.escape(comment, quote=False) in after.text
    assert 'id="approve-form"' not in after.text


async def test_approve_and_next_then_reject_and_next_follow_the_queue(ui: Any) -> None:
    oldest = await ui.seed(presented("Alpha Ltd"))
    middle = await ui.seed(presented("Beta Ltd"))
    newest = await ui.seed(presented("Gamma Ltd"))
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        opened = await client.get(f"/proposals/{middle.proposal_id}")
        first = await client.post(
            f"/proposals/{middle.proposal_id}/approve", data=middle.form(csrf, then="next")
        )
        landed = await client.get(first.headers["location"])
        second = await client.post(
            f"/proposals/{oldest.proposal_id}/reject",
            data=oldest.form(csrf, reason="not a real company", then="next"),
        )
        third = await client.post(
            f"/proposals/{newest.proposal_id}/approve", data=newest.form(csrf, then="next")
        )
        inbox = await client.get(third.headers["location"])
    # j / k walk the queue oldest first.
    assert f'href="/proposals/{oldest.proposal_id}" id="prev-pending"' in opened.text
    assert f'href="/proposals/{newest.proposal_id}" id="next-pending"' in opened.text
    # "& next" goes to the proposal waiting longest, not to the neighbour.
    assert first.headers["location"] == (
        f"/proposals/{oldest.proposal_id}?done=approved&decided={middle.proposal_id}"
    )
    assert f'You approved <a href="/proposals/{middle.proposal_id}">' in landed.text
    assert second.headers["location"].startswith(f"/proposals/{newest.proposal_id}?done=rejected")
    assert third.headers["location"].startswith("/?done=queue-empty")
    assert "Nothing else is waiting for you" in inbox.text
    statuses = [(await ui.proposal(s.proposal_id)).status for s in (oldest, middle, newest)]
    assert statuses == ["rejected", "approved", "approved"]
    assert (await ui.proposal(oldest.proposal_id)).decision_reason == "not a real company"


async def test_a_run_blocked_at_approval_says_so_never_done_approved(ui: Any) -> None:
    first = await ui.seed(presented("Initech LLC", "ap@initech.example"))
    second = await ui.seed(presented("Initech, Inc.", "billing@initech.example"))
    await set_run(ui, first.run_id, title="Initech LLC", status="completed")
    await set_run(
        ui, second.run_id, title="Initech, Inc.", status="blocked",
        error="blocked at approval by precondition no_duplicate",
    )  # fmt: skip
    decided = {"status": "approved", "decided_by": "mike", "decided_at": datetime.now(UTC)}
    await set_proposal(ui, first.proposal_id, **decided)
    await set_proposal(ui, second.proposal_id, **decided)
    async with ui.factory() as session, session.begin():
        session.add(Customer(
            companyname="Initech LLC", companyname_normalized=normalize_company_name("Initech LLC"),
            email="ap@initech.example", external_id=f"cascade-customer-{first.run_id}",
        ))  # fmt: skip
    async with ui.client() as client:
        await ui.login(client)
        blocked = await client.get(f"/proposals/{second.proposal_id}?done=approved")
        completed = await client.get(f"/proposals/{first.proposal_id}")
    text = blocked.text
    assert "but the run was blocked at approval" in text
    assert "A customer with this name or email already exists." in text
    assert f'<a href="/proposals/{first.proposal_id}">#{first.proposal_id} Initech LLC</a>' in text
    assert "Done: approved" not in text
    assert "blocked at approval" not in completed.text
    assert f'href="/runs/{first.run_id}">see the run</a>' in completed.text


async def test_twins_are_flagged_on_both_proposals(ui: Any) -> None:
    llc = await ui.seed(presented("Initech LLC", "ap@initech.example"))
    inc = await ui.seed(presented("Initech, Inc.", "billing@initech.example"))
    other = await ui.seed(presented("Globex Corp", "ap@globex.example"))
    decided = await ui.seed(presented("Initech", "x@initech.example"))
    for seeded, title in ((llc, "Initech LLC"), (inc, "Initech, Inc."), (decided, "Initech")):
        await set_run(ui, seeded.run_id, title=title, twin_keys=["initech"])
    await set_run(ui, other.run_id, title="Globex Corp", twin_keys=["globex"])
    await set_proposal(ui, decided.proposal_id, status="rejected", decided_by="mike")
    async with ui.factory() as session:
        found = await twins_for(session, [llc.proposal_id, inc.proposal_id, other.proposal_id])
        assert await twins_for(session, []) == {}
    assert [t.proposal_id for t in found[llc.proposal_id]] == [inc.proposal_id]
    assert [t.proposal_id for t in found[inc.proposal_id]] == [llc.proposal_id]
    assert found[llc.proposal_id][0].keys == ("initech",)
    assert (
        found[llc.proposal_id][0].label == f"possible duplicate of #{inc.proposal_id} Initech, Inc."
    )
    assert other.proposal_id not in found
    async with ui.client() as client:
        await ui.login(client)
        pages = {s.proposal_id: (await client.get(f"/proposals/{s.proposal_id}")).text
                 for s in (llc, inc, other)}  # fmt: skip
    twin_of_llc = f"possible duplicate of #{inc.proposal_id} Initech, Inc."
    assert html.escape(twin_of_llc, quote=False) in pages[llc.proposal_id]
    assert f"possible duplicate of #{llc.proposal_id} Initech LLC" in pages[inc.proposal_id]
    assert "possible duplicate" not in pages[other.proposal_id]
    assert "No other pending proposal for the same customer." in pages[other.proposal_id]


async def test_a_payload_without_presentation_still_renders(ui: Any) -> None:
    seeded = await ui.seed(old_payload())
    async with ui.client() as client:
        await ui.login(client)
        page = (await client.get(f"/proposals/{seeded.proposal_id}")).text
    assert 'id="old-payload"' in page
    assert 'id="decision"' in page
    assert 'id="approve"' in page
    assert '<h1 id="decision-title">Oldco Ltd</h1>' in page
    # The rows of the old what_changes, the inputs, and each context query with the
    # contract's SQL and its rows as a table.
    assert 'id="what-changes"' in page
    assert "write_d1" in page
    assert 'id="inputs"' in page
    assert "ap@oldco.example" in page
    assert "companyname_normalized = :company_name_normalized" in page
    assert "<td>Kit</td>" in page
    # The failed warn rule is a named warning with a sentence, not a count.
    assert "valid email" in page
    assert "does not look like an address" in page  # the contract's message for the rule
    assert "already exists" not in without_payload(page)


async def test_overdue_against_the_approval_window_with_the_reminder(ui: Any) -> None:
    late = await ui.seed(presented("Late Ltd"), expires_in=timedelta(hours=22))
    fresh = await ui.seed(presented("Fresh Ltd"))
    await set_proposal(ui, late.proposal_id, created_at=datetime.now(UTC) - timedelta(hours=2))
    async with ui.factory() as session, session.begin():
        session.add(EventRecord(
            id=uuid.uuid4(), type="workflow.alert", run_id=late.run_id,
            idempotency_key=f"workflow.alert:{late.run_id}:approval_overdue",
            data={"reason": "approval_overdue",
                  "detail": f"proposal {late.proposal_id} has waited for a decision"},
        ))  # fmt: skip
    async with ui.client() as client:
        await ui.login(client)
        overdue = (await client.get(f"/proposals/{late.proposal_id}")).text
        in_time = (await client.get(f"/proposals/{fresh.proposal_id}")).text
    assert 'id="overdue"' in overdue
    assert "Overdue by 1h 0" in overdue
    assert "approval window 1h 00m" in overdue
    assert "Reminder sent" in overdue
    assert "has waited for a decision" in overdue
    # Expiry is counted separately from the window.
    assert 'id="expiry"' in overdue
    assert "(in 21h" in overdue
    assert 'id="overdue"' not in in_time
    assert "Reminder sent" not in in_time
    assert "Time left: 59m" in in_time or "Time left: 1h 00m" in in_time


async def test_rejected_and_expired_say_who_when_and_why(ui: Any) -> None:
    rejected = await ui.seed(presented("Refused Ltd"))
    expired = await ui.seed(presented("Slow Ltd"))
    now = datetime.now(UTC)
    await set_proposal(
        ui, rejected.proposal_id, status="rejected", decided_by="mike", decided_at=now,
        decision_reason="sales withdrew the request",
    )  # fmt: skip
    await set_proposal(ui, expired.proposal_id, status="expired", decided_at=now)
    reason = f"proposal {expired.proposal_id} expired unapproved"
    await set_run(ui, expired.run_id, status="expired", error=reason)
    async with ui.client() as client:
        await ui.login(client)
        no = (await client.get(f"/proposals/{rejected.proposal_id}")).text
        late = (await client.get(f"/proposals/{expired.proposal_id}")).text
    assert "Rejected by mike" in no
    assert "sales withdrew the request" in no
    assert 'id="approve-form"' not in no
    assert "Expired without a decision" in late
    assert reason in late
    assert 'id="approve-form"' not in late
