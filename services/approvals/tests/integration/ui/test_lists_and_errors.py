"""The lists show the business subject (title, summary, named warnings, twins), search and
filter, the Blocked view beside the matching customer, and browsers get HTML error pages
while the JSON API keeps its error shape."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from cascade.shared.db.models import Customer, ProposedAction, WorkflowRun

pytestmark = pytest.mark.integration

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGE_CSP = (
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'"
)


def payload(name: str, email: str, warnings: list[str] | None = None) -> dict[str, Any]:
    """A payload shaped like the runner's, its warn rules failed as named."""
    failed = warnings or []
    return {
        "inputs": {"company_name": name, "contact_email": email},
        "context": {"existing_by_name": None, "existing_by_email": None},
        "preconditions": [
            {"name": "no_duplicate", "severity": "block", "passed": True, "message": "dup"},
            {"name": "valid_email", "severity": "warn", "passed": "valid_email" not in failed,
             "message": None},
            {"name": "tier_has_programs", "severity": "warn",
             "passed": "tier_has_programs" not in failed,
             "message": "The pricing tier assigns no default programs."},
        ],
        "warnings": failed,
        "what_changes": [],
    }  # fmt: skip


async def seed_subject(
    ui: Any, name: str, email: str, warnings: list[str] | None = None,
    twin_keys: list[str] | None = None, created_at: datetime | None = None,
) -> Any:  # fmt: skip
    """A pending proposal whose run carries the subject columns the runner writes."""
    seeded = await ui.seed(payload(name, email, warnings), inputs={"company_name": name})
    summary = [{"label": "Email", "value": email}, {"label": "Tier", "value": "gold"},
               {"label": "Credit limit", "value": "50,000.00"}]  # fmt: skip
    async with ui.factory() as session, session.begin():
        await session.execute(
            update(WorkflowRun)
            .where(WorkflowRun.run_id == seeded.run_id)
            .values(
                title=name, summary=summary, twin_keys=twin_keys or [name.lower()],
                search_text=f"{name} {email}".lower(),
                requested_at=created_at or WorkflowRun.requested_at,
            )
        )  # fmt: skip
        if created_at is not None:
            await session.execute(
                update(ProposedAction)
                .where(ProposedAction.id == seeded.proposal_id)
                .values(created_at=created_at)
            )
    return seeded


def row_of(page: str, proposal_id: int) -> str:
    """The inbox row of one proposal."""
    found = re.search(rf'<tr id="proposal-{proposal_id}".*?</tr>', page, re.S)
    assert found is not None, page[:2000]
    return found.group(0)


async def test_inbox_shows_subject_summary_named_warnings_and_twins(ui: Any) -> None:
    first = await seed_subject(
        ui, "Initech LLC", "ops@initech.example", twin_keys=["initech", "ops@initech.example"]
    )
    second = await seed_subject(
        ui, "Initech, Inc.", "not-an-email", ["valid_email", "tier_has_programs"],
        twin_keys=["initech", "not-an-email"],
    )  # fmt: skip
    alone = await seed_subject(ui, "Acme Corp", "ap@acme.example", twin_keys=["acme"])
    async with ui.client() as client:
        await ui.login(client)
        page = (await client.get("/")).text
    one, two, three = (row_of(page, s.proposal_id) for s in (first, second, alone))
    assert f'<a class="subject" href="/proposals/{first.proposal_id}">Initech LLC</a>' in one
    assert "<dt>Email</dt><dd>ops@initech.example</dd>" in one
    assert "<dt>Credit limit</dt><dd>50,000.00</dd>" in one
    badges = re.findall(r'class="badge warning"[^>]*>([^<]+)<', two)
    assert badges == ["invalid email", "The pricing tier assigns no default programs"]
    assert re.findall(r'class="badge warning"', one) == []
    assert f"possible duplicate of #{second.proposal_id} {html.escape('Initech, Inc.')}" in one
    assert f"possible duplicate of #{first.proposal_id} Initech LLC" in two
    assert "badge twin" not in three
    assert "<title>Inbox (3) · Cascade approvals</title>" in page


async def test_search_status_and_dates_filter_inbox_and_runs(ui: Any) -> None:
    old = datetime(2026, 3, 2, 12, tzinfo=UTC)
    acme = await seed_subject(ui, "Acme Corp", "ap@acme.example", created_at=old)
    wild = await seed_subject(ui, "100% Widgets_Co", "w@widgets.example")
    other = await seed_subject(ui, "Globex", "hello@globex.example")
    async with ui.client() as client:
        await ui.login(client)

        async def ids(path: str, **params: str) -> set[str]:
            page = await client.get(path, params=params)
            assert page.status_code == 200, page.text[:300]
            return set(re.findall(r'<tr id="(?:proposal|run)-([^"]+)"', page.text))

        assert await ids("/", q="ACME") == {str(acme.proposal_id)}
        assert await ids("/", q="globex.example") == {str(other.proposal_id)}
        # The user's % and _ are literal characters, not wildcards.
        assert await ids("/", q="100%") == {str(wild.proposal_id)}
        assert await ids("/", q="s_co") == {str(wild.proposal_id)}
        assert await ids("/", q="%") == {str(wild.proposal_id)}
        assert await ids("/", since="2026-03-02", until="2026-03-02") == {str(acme.proposal_id)}
        assert await ids("/", until="2026-03-01") == set()
        assert await ids("/", status="approved") == set()
        assert await ids("/runs", q="acme") == {str(acme.run_id)}
        assert await ids("/runs", status="awaiting_approval", q="widgets") == {str(wild.run_id)}
        assert await ids("/runs", status="completed") == set()
        assert await ids("/runs", since="2026-03-03") == {str(wild.run_id), str(other.run_id)}
        empty = await client.get("/", params={"q": "nobody"})
    assert "No proposal matches these filters" in empty.text
    assert 'value="nobody"' in empty.text


async def test_empty_lists_say_what_will_appear(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        inbox, runs, audit, blocked = [
            (await client.get(path)).text for path in ("/", "/runs", "/audit", "/blocked")
        ]
    assert "No proposal waits for you. New ones appear here live." in inbox
    assert "No run yet." in runs
    assert "No decision yet." in audit
    assert "No run was blocked." in blocked


async def test_runs_and_audit_show_the_title_and_local_time_tags(ui: Any) -> None:
    seeded = await seed_subject(ui, "Acme Corp", "ap@acme.example")
    async with ui.client() as client:
        await ui.login(client)
        csrf = await ui.csrf(client)
        await client.post(
            f"/proposals/{seeded.proposal_id}/reject", data=seeded.form(csrf, reason="dup")
        )
        runs = (await client.get("/runs")).text
        audit = (await client.get("/audit")).text
    assert f'<a class="subject" href="/runs/{seeded.run_id}">Acme Corp</a>' in runs
    assert f'<a class="subject" href="/proposals/{seeded.proposal_id}">Acme Corp</a>' in audit
    for page in (runs, audit):
        assert re.search(
            r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" '
            r'title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">[^<]+ UTC</time>',
            page,
        )
    assert 'aria-current="page">Audit' in audit
    assert 'href="#main"' in audit


async def test_a_run_without_subject_falls_back_to_its_workflow_and_ids(ui: Any) -> None:
    seeded = await ui.seed(payload("Old Ltd", "o@old.example"), entity_ref="customer:old")
    async with ui.client() as client:
        await ui.login(client)
        inbox = (await client.get("/")).text
        runs = (await client.get("/runs")).text
    assert ">customer:old</a>" in row_of(inbox, seeded.proposal_id)
    assert f"New customer onboard · run {seeded.run_id}</a>" in runs


async def test_blocked_view_shows_the_run_beside_the_matching_customer(ui: Any) -> None:
    now = datetime.now(UTC)
    creator, blocked_id = uuid.uuid4(), uuid.uuid4()
    async with ui.factory() as session, session.begin():
        customer = Customer(
            companyname="Acme Corp", companyname_normalized="acme", email="ap@acme.example",
            credit_limit=50000, created_by_run_id=creator,
        )  # fmt: skip
        session.add(customer)
        await session.flush()
        session.add(WorkflowRun(
            run_id=blocked_id, workflow_type="new_customer", contract_version=2,
            status="blocked", requested_at=now, completed_at=now, title="ACME Corp.",
            inputs={"company_name": "ACME Corp.", "contact_email": "AP@acme.example"},
            context={"existing_by_name": [{"id": customer.id, "companyname": "Acme Corp"}],
                     "existing_by_email": [{"id": customer.id, "companyname": "Acme Corp"}]},
            error="blocked by precondition no_duplicate",
        ))  # fmt: skip
        session.add(WorkflowRun(
            run_id=uuid.uuid4(), workflow_type="new_customer", status="completed",
            requested_at=now, inputs={},
        ))  # fmt: skip
    async with ui.client() as client:
        await ui.login(client)
        page = (await client.get("/blocked")).text
        inbox = (await client.get("/")).text
    assert 'id="blocked"' in page
    assert f'<a class="subject" href="/runs/{blocked_id}">ACME Corp.</a>' in page
    assert "A customer with this name or email already exists." in page
    assert f'<a class="existing" href="/runs/{creator}">Existing #{customer.id}</a>' in page
    assert "<td>ACME Corp.</td>" in page
    assert '<td class="same">ap@acme.example</td>' in page
    assert page.count("<article") == 1
    assert 'id="nav-blocked-count">1<' in inbox


async def test_browsers_get_html_error_pages_and_the_api_keeps_json(ui: Any) -> None:
    async with ui.client() as client:
        await ui.login(client)
        pages = {
            "path": await client.get("/no-such-page", headers=BROWSER),
            "proposal": await client.get("/proposals/424242", headers=BROWSER),
            "run": await client.get(f"/runs/{uuid.uuid4()}", headers=BROWSER),
            "bad_id": await client.get("/runs/not-a-uuid", headers=BROWSER),
            "bad_filter": await client.get("/?status=done", headers=BROWSER),
        }
        api = {
            "path": await client.get("/v1/nothing", headers=BROWSER),
            "proposal": await client.get("/proposals/424242"),
            "filter": await client.get("/?status=done"),
            "svg": await client.get(f"/runs/{uuid.uuid4()}/graph.svg", headers=BROWSER),
        }
    assert {k: r.status_code for k, r in pages.items()} == {
        "path": 404, "proposal": 404, "run": 404, "bad_id": 422, "bad_filter": 422,
    }  # fmt: skip
    for response in pages.values():
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == PAGE_CSP
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert 'id="error-page"' in response.text
        assert '<a href="/">Go to the inbox</a>' in response.text
        assert "Traceback" not in response.text
    assert "There is no page at /no-such-page." in pages["path"].text
    assert "No proposal 424242" in pages["proposal"].text
    assert "Log out" in pages["proposal"].text, "the signed-in shell"
    assert "Status: Input should be" in pages["bad_filter"].text
    assert (api["path"].status_code, api["path"].json()["error"]) == (404, "http_404")
    assert api["proposal"].json() == {"error": "not_found", "message": "no proposal 424242"}
    assert api["filter"].status_code == 422
    assert [e["field"] for e in api["filter"].json()["errors"]] == ["status"]
    assert api["svg"].status_code == 404
    assert api["svg"].headers["content-type"].startswith("application/json")
