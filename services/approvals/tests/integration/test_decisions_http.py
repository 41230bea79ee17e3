"""Approve and reject over HTTP: one compare-and-set with its audit and outbox rows."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration

OTHER_SHA = "0" * 64


async def test_approve_commits_decision_audit_and_one_event(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id}/approve", json=seeded.body()
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "approved"
    assert body["decided_by"] == "mike"
    assert body["payload_sha256"] == seeded.payload_sha256

    proposal = await approvals.proposal(seeded.proposal_id)
    assert (proposal.status, proposal.decided_by) == ("approved", "mike")
    assert proposal.decided_at is not None
    audit = await approvals.audit(seeded.proposal_id)
    assert [(a.decision, a.actor, a.payload_sha256, a.version) for a in audit] == [
        ("approved", "mike", seeded.payload_sha256, 1)
    ]
    assert audit[0].remote_addr == "127.0.0.1"

    records = await approvals.published(Topic.PROPOSAL_APPROVED)
    assert len(records) == 1
    event = records[0]
    assert (event.type, event.source, event.run_id) == (
        "proposal.approved",
        "cascade.approvals",
        seeded.run_id,
    )
    assert event.idempotency_key == f"proposal.approved:{seeded.run_id}:{seeded.proposal_id}"
    assert event.data == {
        "proposal_id": seeded.proposal_id,
        "action_type": "create_customer",
        "version": 1,
        "payload_sha256": seeded.payload_sha256,
        "decided_by": "mike",
        "reason": None,
    }
    assert await approvals.published(Topic.PROPOSAL_REJECTED) == []


async def test_fifty_concurrent_approvals_admit_exactly_one(approvals: Any) -> None:
    seeded = await approvals.seed()
    url = f"/v1/proposals/{seeded.proposal_id}/approve"
    async with approvals.client() as client:
        started = time.monotonic()
        responses = await asyncio.gather(*(client.post(url, json=seeded.body()) for _ in range(50)))
        elapsed = time.monotonic() - started
    statuses = sorted(r.status_code for r in responses)
    print(
        f"50 concurrent approvals: {statuses.count(200)}x200 {statuses.count(409)}x409 "
        f"in {elapsed:.2f}s"
    )
    assert statuses == [200] + [409] * 49
    reasons = {r.json()["reason"] for r in responses if r.status_code == 409}
    assert reasons == {"already_decided"}
    assert len(await approvals.audit(seeded.proposal_id)) == 1
    assert await approvals.outbox_count() == 1
    assert len(await approvals.published(Topic.PROPOSAL_APPROVED)) == 1


@pytest.mark.parametrize(
    ("expires_in", "changes", "reason"),
    [
        (timedelta(hours=1), {"version": 2}, "stale_version"),
        (timedelta(hours=1), {"payload_sha256": OTHER_SHA}, "payload_changed"),
        (timedelta(seconds=-1), {}, "expired"),
    ],
)
async def test_forged_or_stale_approval_is_409_and_writes_nothing(
    approvals: Any, expires_in: timedelta, changes: dict[str, Any], reason: str
) -> None:
    seeded = await approvals.seed(expires_in=expires_in)
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id}/approve", json=seeded.body(**changes)
        )
    assert response.status_code == 409, response.text
    assert response.json()["reason"] == reason
    assert response.json()["current"]["status"] == "pending"
    assert (await approvals.proposal(seeded.proposal_id)).status == "pending"
    await approvals.assert_nothing_written(seeded.proposal_id)


async def test_approve_after_reject_is_already_decided(approvals: Any) -> None:
    seeded = await approvals.seed()
    base = f"/v1/proposals/{seeded.proposal_id}"
    async with approvals.client() as client:
        rejected = await client.post(f"{base}/reject", json=seeded.body(reason="wrong tier"))
        approved = await client.post(f"{base}/approve", json=seeded.body())
    assert rejected.status_code == 200, rejected.text
    assert approved.status_code == 409
    assert approved.json()["reason"] == "already_decided"
    assert approved.json()["current"]["status"] == "rejected"
    assert "rejected by mike" in approved.json()["message"]
    assert [a.decision for a in await approvals.audit(seeded.proposal_id)] == ["rejected"]
    assert await approvals.outbox_count() == 1
    assert await approvals.published(Topic.PROPOSAL_APPROVED) == []


async def test_replayed_approval_is_409_and_writes_nothing_more(approvals: Any) -> None:
    seeded = await approvals.seed()
    url = f"/v1/proposals/{seeded.proposal_id}/approve"
    async with approvals.client() as client:
        first = await client.post(url, json=seeded.body())
        replay = await client.post(url, json=seeded.body())
    assert (first.status_code, replay.status_code) == (200, 409)
    assert replay.json()["reason"] == "already_decided"
    assert len(await approvals.audit(seeded.proposal_id)) == 1
    assert await approvals.outbox_count() == 1
    assert len(await approvals.published(Topic.PROPOSAL_APPROVED)) == 1


async def test_deciding_an_unknown_proposal_is_404(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id + 1000}/approve", json=seeded.body()
        )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    await approvals.assert_nothing_written(seeded.proposal_id)
