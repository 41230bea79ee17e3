"""An approved push correction (`corrections.apply_correction`) on the in-memory unit of work."""

from __future__ import annotations

import uuid

from cascade.devstack.wire import decision_of
from cascade.ns_pusher.corrections import CONSUMER, apply_correction
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.db.statuses import ProposalStatus, PushStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.push_corrections import APPLIED, action_type
from cascade.shared.topics import Topic

from .fakes import FakePusherWork

RUN = uuid.UUID("3c9d0000-0000-4000-8000-000000000002")
BAD = {"externalId": "cust-bad", "companyName": "Bad Ltd", "email": "not-an-email"}
GOOD = {**BAD, "email": "ops@bad.example"}


def corrected(uow: FakePusherWork, approved: bool = True) -> ProposedAction:
    """A failed push 4 with Mike's approved (and audited) correction of its email."""
    uow.pushes.rows[4] = NsPendingPush(
        id=4, run_id=RUN, record_type="customer", external_id="cust-bad", payload=dict(BAD),
        status=PushStatus.FAILED,
    )  # fmt: skip
    payload = {
        "kind": "ns_push_correction", "push_id": 4, "record_type": "customer",
        "external_id": "cust-bad", "base_sha256": sha256_of(BAD), "body": GOOD,
        "changes": [{"field": "email", "before": BAD["email"], "after": GOOD["email"]}],
    }  # fmt: skip
    proposal = ProposedAction(
        id=9, run_id=RUN, action_type=action_type(4, 1), approver="mike", payload=payload,
        payload_sha256=sha256_of(payload), version=1, decided_by="mike",
        status=ProposalStatus.APPROVED if approved else ProposalStatus.PENDING,
    )  # fmt: skip
    uow.proposals.rows[9] = proposal
    if approved:
        uow.proposals.audits.append(
            ApprovalAudit(proposal_id=9, run_id=RUN, decision="approved", actor="mike",
                          payload_sha256=proposal.payload_sha256, version=1)
        )  # fmt: skip
    return proposal


def approval(proposal: ProposedAction) -> Envelope:
    data = decision_of(proposal)
    return new_envelope(Topic.PROPOSAL_APPROVED, "cascade.approvals", RUN, data, str(proposal.id))


async def test_an_approved_correction_is_put_on_the_push_and_pushed_again() -> None:
    uow = FakePusherWork()
    proposal = corrected(uow)
    await apply_correction(uow, approval(proposal), 5, "t.")
    push = uow.pushes.rows[4]
    assert (push.payload, push.status) == (GOOD, PushStatus.PENDING)
    assert uow.mirrors.updates == [("customer", "cust-bad", {"email": "ops@bad.example"})]
    (audit,) = uow.audits.added
    assert (audit.decision, audit.actor) == (APPLIED, "ns-pusher")
    assert audit.reason == "push 4 re-queued with corrected email; mirror email updated"
    assert uow.staged == []


async def test_another_proposals_approval_passes_by() -> None:
    uow = FakePusherWork()
    proposal = corrected(uow)
    proposal.action_type = "workflow_new_customer"
    await apply_correction(uow, approval(proposal), 5, "t.")
    assert uow.pushes.rows[4].status == PushStatus.FAILED
    assert uow.audits.added == []


async def test_an_approval_the_database_contradicts_frees_its_key_and_alerts_once() -> None:
    uow = FakePusherWork()
    forged = approval(corrected(uow, approved=False))
    uow.inbox.claimed.add((CONSUMER, forged.idempotency_key))
    for _ in range(2):
        await apply_correction(uow, forged, 5, "t.")
    assert (CONSUMER, forged.idempotency_key) not in uow.inbox.claimed
    (alert,) = uow.staged_on("t.workflow.alert")
    why = "proposal 9 is pending in the database, not approved"
    assert alert.data["detail"] == f"ignored proposal.approved: {why}"
    assert uow.pushes.rows[4].status == PushStatus.FAILED
    assert uow.audits.added == []


async def test_a_correction_that_no_longer_fits_the_push_is_audited_not_applied() -> None:
    uow = FakePusherWork()
    proposal = corrected(uow)
    uow.pushes.rows[4].status = PushStatus.PENDING  # retried meanwhile
    await apply_correction(uow, approval(proposal), 5, "t.")
    assert uow.pushes.rows[4].payload == BAD
    (audit,) = uow.audits.added
    assert audit.reason == "not applied: push 4 is pending; only a failed push is corrected"
    assert uow.mirrors.updates == []
