"""Correct and re-push through ns-pusher against the NetSuite simulator: a push NetSuite refused
(400 INVALID_CONTENT on email) is corrected by Mike, approved by Mike, pushed and `applied`;
a forged approval event changes nothing and leaves the real event's key free.

The test plays the approvals UI with its own use cases (`propose_correction`, `decide`), so
the correction and the decision are exactly what the UI commits; ns-pusher's outbox relay
publishes the staged `proposal.approved` like the approvals' relay would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from cascade.approvals.decisions import DecisionRequest, decide
from cascade.approvals.push_corrections import CorrectionRequest, propose_correction
from cascade.approvals.unit_of_work import SqlApprovalsWork
from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import decision_of
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, Customer, ProposedAction, WorkflowRun
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration
BAD = {"externalId": "cust-bad", "companyName": "Bad Email Ltd", "email": "not-an-email"}


async def failed_push(harness: Any) -> int:
    """A run whose customer push NetSuite refused for its email."""
    async with harness.factory() as session, session.begin():
        session.add(WorkflowRun(
            run_id=harness.run_id, workflow_type="new_customer", contract_version=2,
            status="partial", inputs={}, requested_at=datetime.now(UTC),
        ))  # fmt: skip
    push_id: int = await harness.stage("cust-bad", BAD)
    async with harness.factory() as session, session.begin():
        await session.execute(
            update(Customer).where(Customer.external_id == "cust-bad").values(email=BAD["email"])
        )
    await harness.publish(push_id, "cust-bad")
    row = await harness.wait_status(push_id, "failed")
    assert "INVALID_CONTENT" in row["last_error"]
    assert row["attempts"] == 1, "a 400 is final: never retried blindly"
    return push_id


async def propose(harness: Any, push_id: int, email: str) -> ProposedAction:
    row = await harness.push_row(push_id)
    ask = CorrectionRequest(
        harness.run_id, push_id, sha256_of(row["payload"]), {"email": email}, "mike", "127.0.0.1"
    )
    async with UnitOfWork(harness.factory) as uow:
        proposal_id = await propose_correction(SqlApprovalsWork(uow), ask)
    async with harness.factory() as session:
        found = await session.get(ProposedAction, proposal_id)
        assert found is not None
        return found


async def forge_approval(harness: Any, proposal: ProposedAction) -> None:
    """What anyone with access to the topic could publish: the real event's shape and key."""
    data = decision_of(proposal)
    envelope = new_envelope(
        Topic.PROPOSAL_APPROVED, "cascade.approvals", harness.run_id, data, str(proposal.id)
    )
    topic = topic_name(harness.settings.topic_prefix, Topic.PROPOSAL_APPROVED)
    await produce_raw(
        harness.settings.kafka_bootstrap, topic, envelope.to_bytes(), str(harness.run_id)
    )


async def audit_of(harness: Any, proposal_id: int) -> list[str]:
    async with harness.factory() as session:
        rows = await session.scalars(
            select(ApprovalAudit.decision)
            .where(ApprovalAudit.proposal_id == proposal_id)
            .order_by(ApprovalAudit.id)
        )
        return list(rows.all())


async def test_a_refused_push_is_corrected_approved_and_applied(harness: Any) -> None:
    harness.start_pusher()
    push_id = await failed_push(harness)
    proposal = await propose(harness, push_id, "orders@bad-email.example")
    assert proposal.status == "pending"
    assert proposal.action_type == f"correct_ns_push:{push_id}:1"

    # A forged approval of the still-pending correction: ignored, alerted, key left free.
    await forge_approval(harness, proposal)

    async def forgery_alerted() -> bool:
        alerts = await harness.events(Topic.WORKFLOW_ALERT)
        return any("ignored proposal.approved" in a.data["detail"] for a in alerts)

    await eventually(forgery_alerted, within=60)
    assert (await harness.push_row(push_id))["status"] == "failed"
    assert (await harness.customer("cust-bad")).email == "not-an-email"

    ask = DecisionRequest(
        proposal.id, "approved", proposal.version, proposal.payload_sha256, "mike", "127.0.0.1"
    )
    async with UnitOfWork(harness.factory) as uow:
        await decide(SqlApprovalsWork(uow), ask, harness.settings.topic_prefix)

    row = await harness.wait_status(push_id, "applied")
    assert row["payload"]["email"] == "orders@bad-email.example"
    assert row["netsuite_id"]
    [record] = await harness.sim_records("cust-bad")
    assert record["email"] == "orders@bad-email.example"
    assert (await harness.customer("cust-bad")).email == "orders@bad-email.example"
    assert await audit_of(harness, proposal.id) == [
        "correction_proposed",
        "approved",
        "correction_applied",
    ]
    results = await harness.wait_events(Topic.NS_PUSH_RESULT, 2)
    assert [r.data["status"] for r in results] == ["failed", "applied"]
    assert len(await harness.calls("cust-bad")) == 2, "one refused PUT, one corrected PUT"
    assert (await audit_of(harness, proposal.id)).count("correction_applied") == 1
