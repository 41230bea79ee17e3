"""The read side: proposals and runs with the documented fields, 404s, security headers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from cascade.shared.db.models import (
    EventRecord,
    NsPendingPush,
    ReflexionEntry,
    VerifyResult,
    WorkflowRunLog,
    WorkflowRunStep,
)

pytestmark = pytest.mark.integration

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}
ITEM_FIELDS = {"id", "run_id", "action_type", "status", "version", "payload_sha256"}


async def record_run_history(approvals: Any, run_id: uuid.UUID) -> None:
    """What the runner, ns-pusher and verifier would have written for a finished run."""
    now = datetime.now(UTC)
    async with approvals.factory() as session, session.begin():
        session.add_all(
            [
                WorkflowRunStep(
                    run_id=run_id,
                    step_id="create_customer",
                    status="done",
                    attempts=1,
                    output={"customer_id": 7},
                    started_at=now,
                    finished_at=now,
                ),
                WorkflowRunStep(
                    run_id=run_id,
                    step_id="push_netsuite",
                    status="failed",
                    attempts=3,
                    last_error="NetSuite answered 500",
                    started_at=now,
                ),
                EventRecord(
                    id=uuid.uuid4(),
                    type="workflow.partial",
                    run_id=run_id,
                    idempotency_key=f"workflow.partial:{run_id}",
                    data={"status": "partial"},
                ),
                NsPendingPush(
                    run_id=run_id,
                    record_type="customer",
                    external_id=f"cust-{run_id}",
                    payload={"companyName": "Acme GmbH"},
                    status="failed",
                    attempts=3,
                    last_error="500",
                ),
                VerifyResult(
                    run_id=run_id,
                    check_name="customer_in_netsuite",
                    kind="http",
                    status="pending",
                    spec={"url": "x"},
                    due_at=now,
                ),
                WorkflowRunLog(
                    run_id=run_id,
                    workflow_type="new_customer",
                    status="partial",
                    started_at=now,
                    completed_at=now,
                    summary_json={"steps": 2},
                ),
                ReflexionEntry(
                    run_id=run_id,
                    workflow_type="new_customer",
                    narrative="NetSuite refused three times.",
                    tags=["netsuite"],
                ),
            ]
        )


async def test_proposal_list_and_detail_carry_the_documented_fields(approvals: Any) -> None:
    first, second = await approvals.seed(), await approvals.seed()
    async with approvals.client() as client:
        listed = await client.get("/v1/proposals", params={"status": "pending"})
        by_run = await client.get("/v1/proposals", params={"run_id": str(first.run_id)})
        none_approved = await client.get("/v1/proposals", params={"status": "approved"})
        detail = await client.get(f"/v1/proposals/{first.proposal_id}")
    assert [i["id"] for i in listed.json()["items"]] == [second.proposal_id, first.proposal_id]
    assert set(listed.json()["items"][0]) >= ITEM_FIELDS
    assert [i["id"] for i in by_run.json()["items"]] == [first.proposal_id]
    assert none_approved.json()["items"] == []

    body = detail.json()
    assert body["payload"] == first.payload
    assert body["payload_sha256"] == first.payload_sha256
    assert (body["version"], body["status"], body["approver"]) == (1, "pending", "mike")
    assert body["run_id"] == str(first.run_id)
    for section in ("inputs", "context", "preconditions", "warnings", "what_changes"):
        assert body[section] == first.payload[section]
    assert body["expires_at"] is not None
    assert body["audit"] == []


async def test_detail_shows_the_audit_trail_after_a_decision(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        await client.post(f"/v1/proposals/{seeded.proposal_id}/approve", json=seeded.body())
        body = (await client.get(f"/v1/proposals/{seeded.proposal_id}")).json()
    assert (body["status"], body["decided_by"]) == ("approved", "mike")
    assert [(a["decision"], a["actor"], a["payload_sha256"]) for a in body["audit"]] == [
        ("approved", "mike", seeded.payload_sha256)
    ]


async def test_run_detail_and_list(approvals: Any) -> None:
    seeded = await approvals.seed()
    await record_run_history(approvals, seeded.run_id)
    async with approvals.client() as client:
        run = (await client.get(f"/v1/runs/{seeded.run_id}")).json()
        listed = await client.get("/v1/runs", params={"status": "awaiting_approval"})
        other = await client.get("/v1/runs", params={"workflow_type": "price_changed"})
    assert (run["status"], run["workflow_type"]) == ("awaiting_approval", "new_customer")
    assert run["inputs"]["company_name"] == "Acme GmbH"
    steps = {s["step_id"]: s for s in run["steps"]}
    assert steps["push_netsuite"]["attempts"] == 3
    assert steps["push_netsuite"]["last_error"] == "NetSuite answered 500"
    assert run["proposals"] == [
        {"id": seeded.proposal_id, "action_type": "create_customer", "status": "pending"}
    ]
    assert [e["type"] for e in run["events"]] == ["workflow.partial"]
    push = run["netsuite_pushes"][0]
    assert (push["status"], push["attempts"], push["netsuite_id"]) == ("failed", 3, None)
    assert run["verify_results"][0]["check_name"] == "customer_in_netsuite"
    assert run["run_log"]["summary"] == {"steps": 2}
    assert run["reflexion"]["narrative"] == "NetSuite refused three times."
    assert [r["run_id"] for r in listed.json()["items"]] == [str(seeded.run_id)]
    assert other.json()["items"] == []


async def test_unknown_ids_are_404_and_bad_ids_422(approvals: Any) -> None:
    async with approvals.client() as client:
        proposal = await client.get("/v1/proposals/424242")
        run = await client.get(f"/v1/runs/{uuid.uuid4()}")
        huge = await client.get(f"/v1/proposals/{2**63}")
        not_uuid = await client.get("/v1/runs/not-a-uuid")
        bad_status = await client.get("/v1/runs", params={"status": "done"})
        big_page = await client.get("/v1/proposals", params={"limit": 201})
    assert (proposal.status_code, run.status_code) == (404, 404)
    assert proposal.json()["error"] == run.json()["error"] == "not_found"
    assert [e["field"] for e in huge.json()["errors"]] == ["proposal_id"]
    assert [e["field"] for e in not_uuid.json()["errors"]] == ["run_id"]
    assert [e["field"] for e in bad_status.json()["errors"]] == ["status"]
    assert [e["field"] for e in big_page.json()["errors"]] == ["limit"]


async def test_security_headers_on_every_response(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        responses = [
            await client.get("/healthz"),
            await client.get(f"/v1/proposals/{seeded.proposal_id}"),
            await client.get("/v1/proposals/424242"),
            await client.post(f"/v1/proposals/{seeded.proposal_id}/approve", json={}),
            await client.get("/no-such-path"),
        ]
    async with approvals.client(None) as client:
        responses.append(await client.get("/v1/runs"))
    assert [r.status_code for r in responses] == [200, 200, 404, 422, 404, 401]
    for response in responses:
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.request.url, name)
