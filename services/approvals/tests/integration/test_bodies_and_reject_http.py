"""Malformed decisions are 422 and write nothing; a reject with a reason is published."""

from __future__ import annotations

from typing import Any

import pytest

from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reject", {}, "reason"),
        ("reject", {"reason": "   "}, "reason"),
        ("reject", {"reason": "x" * 2001}, "reason"),
        ("approve", {"version": "1"}, "version"),
        ("approve", {"payload_sha256": "ABC"}, "payload_sha256"),
        ("approve", {"note": "lgtm"}, "note"),
    ],
)
async def test_malformed_decision_is_422_naming_the_field(
    approvals: Any, action: str, body: dict[str, Any], field: str
) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id}/{action}", json=seeded.body(**body)
        )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await approvals.proposal(seeded.proposal_id)).status == "pending"
    await approvals.assert_nothing_written(seeded.proposal_id)


async def test_malformed_json_is_422_body(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id}/approve",
            content=b'{"version": 1,',
            headers={"content-type": "application/json"},
        )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    await approvals.assert_nothing_written(seeded.proposal_id)


async def test_reject_with_reason_publishes_proposal_rejected(approvals: Any) -> None:
    seeded = await approvals.seed()
    async with approvals.client() as client:
        response = await client.post(
            f"/v1/proposals/{seeded.proposal_id}/reject",
            json=seeded.body(reason="duplicate of Acme AG"),
        )
    assert response.status_code == 200, response.text
    proposal = await approvals.proposal(seeded.proposal_id)
    assert (proposal.status, proposal.decision_reason) == ("rejected", "duplicate of Acme AG")
    audit = await approvals.audit(seeded.proposal_id)
    assert [(a.decision, a.reason) for a in audit] == [("rejected", "duplicate of Acme AG")]
    records = await approvals.published(Topic.PROPOSAL_REJECTED)
    assert len(records) == 1
    assert records[0].data["reason"] == "duplicate of Acme AG"
    assert records[0].data["payload_sha256"] == seeded.payload_sha256
    assert await approvals.published(Topic.PROPOSAL_APPROVED) == []
