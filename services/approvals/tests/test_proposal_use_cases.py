"""Mike's decision (`decisions.decide`), his edit of an email draft (`edits.edit_email`), the
approved email's queueing (`email_sending.queue_email`) and Resend (`email_jobs.resend`),
on the in-memory unit of work."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from cascade.approvals.conflicts import Conflict
from cascade.approvals.decisions import DecisionConflict, DecisionRequest, ProposalNotFound, decide
from cascade.approvals.edits import EMAIL_ACTION, EditRequest, NotEditable, edit_email
from cascade.approvals.email_jobs import ResendRefused, ResendRequest, resend
from cascade.approvals.email_sending import queue_email
from cascade.devstack.wire import decision_of
from cascade.shared.canonical import sha256_of
from cascade.shared.consumer import RejectMessage
from cascade.shared.db.models import ProposedAction
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.topics import Topic

from .fakes import NOW, FakeApprovalsWork

RUN = uuid.UUID("a9900000-0000-4000-8000-000000000001")
DRAFT = {"to": "ops@acme.example", "subject": "Welcome", "body": "Hello."}


def proposed(uow: FakeApprovalsWork, action: str = "workflow_new_customer") -> ProposedAction:
    payload = DRAFT if action == EMAIL_ACTION else {"company_name": "Acme"}
    proposal = ProposedAction(
        id=1, run_id=RUN, action_type=action, approver="mike", status="pending",
        payload=payload, payload_sha256=sha256_of(payload), version=1,
        expires_at=NOW + timedelta(hours=1), traceparent=None,
    )  # fmt: skip
    uow.proposals.rows[1] = proposal
    return proposal


def asked(proposal: ProposedAction, decision: str = "approved", **kw: object) -> DecisionRequest:
    fields: dict[str, object] = {
        "proposal_id": proposal.id, "decision": decision, "version": proposal.version,
        "payload_sha256": proposal.payload_sha256, "actor": "mike", "remote_addr": "10.0.0.1",
    }  # fmt: skip
    return DecisionRequest(**{**fields, **kw})  # type: ignore[arg-type]


async def test_a_decision_commits_with_its_audit_row_and_event() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    decided = await decide(uow, asked(proposal, reason="fine"), "t.")
    assert (decided.status, decided.decided_at, decided.run_id) == ("approved", NOW, RUN)
    assert (proposal.status, proposal.decided_by) == ("approved", "mike")
    (audit,) = uow.audits.added
    assert (audit.decision, audit.actor, audit.remote_addr) == ("approved", "mike", "10.0.0.1")
    (event,) = uow.staged_on("t.proposal.approved")
    assert event.idempotency_key == f"proposal.approved:{RUN}:1"
    assert event.data["payload_sha256"] == proposal.payload_sha256
    assert uow.committed


async def test_a_second_decision_is_refused_and_writes_nothing() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    await decide(uow, asked(proposal), "t.")
    uow.staged.clear()
    uow.committed = False
    with pytest.raises(DecisionConflict) as refused:
        await decide(uow, asked(proposal, "rejected"), "t.")
    assert refused.value.reason == Conflict.ALREADY_DECIDED
    assert refused.value.current.decided_by == "mike"
    assert (uow.staged, uow.committed, len(uow.audits.added)) == ([], False, 1)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": 2}, Conflict.STALE_VERSION),
        ({"payload_sha256": "0" * 64}, Conflict.PAYLOAD_CHANGED),
    ],
)
async def test_a_decision_on_another_version_or_hash_is_a_conflict(
    change: dict[str, object], reason: Conflict
) -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    with pytest.raises(DecisionConflict) as refused:
        await decide(uow, asked(proposal, **change), "t.")
    assert refused.value.reason == reason
    assert proposal.status == "pending"
    assert uow.staged == []


async def test_an_expired_proposal_cannot_be_decided() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    proposal.expires_at = NOW - timedelta(seconds=1)
    with pytest.raises(DecisionConflict) as refused:
        await decide(uow, asked(proposal), "t.")
    assert refused.value.reason == Conflict.EXPIRED


async def test_a_decision_on_no_proposal_is_not_found() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    with pytest.raises(ProposalNotFound):
        await decide(uow, asked(proposal, proposal_id=7), "t.")


def edit(proposal: ProposedAction, **kw: object) -> EditRequest:
    fields: dict[str, object] = {
        "proposal_id": proposal.id, "version": proposal.version,
        "payload_sha256": proposal.payload_sha256, "subject": "Welcome aboard",
        "body": "Hello,\r\nwelcome.", "actor": "mike", "remote_addr": None,
    }  # fmt: skip
    return EditRequest(**{**fields, **kw})  # type: ignore[arg-type]


async def test_an_edit_makes_the_next_version_with_its_hash() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow, EMAIL_ACTION)
    old_hash = proposal.payload_sha256
    edited = await edit_email(uow, edit(proposal))
    assert proposal.payload == {**DRAFT, "subject": "Welcome aboard", "body": "Hello,\nwelcome."}
    assert (edited.version, edited.payload_sha256) == (2, sha256_of(proposal.payload))
    (audit,) = uow.audits.added
    assert (audit.decision, audit.version) == ("edited", 2)
    assert audit.reason == f"edited version 1 (sha256 {old_hash[:12]}…)"
    assert uow.committed


async def test_only_an_email_draft_is_edited() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    with pytest.raises(NotEditable):
        await edit_email(uow, edit(proposal))
    assert not uow.committed


async def test_an_edit_of_a_stale_version_is_a_conflict() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow, EMAIL_ACTION)
    await edit_email(uow, edit(proposal))
    with pytest.raises(DecisionConflict) as refused:
        await edit_email(uow, edit(proposal, version=1))
    assert refused.value.reason == Conflict.STALE_VERSION
    assert len(uow.audits.added) == 1


def approved(proposal: ProposedAction) -> Envelope:
    data = decision_of(proposal)
    return new_envelope(Topic.PROPOSAL_APPROVED, "cascade.approvals", RUN, data, "1")


async def test_an_approved_email_is_queued_once() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow, EMAIL_ACTION)
    proposal.status = "approved"
    for _ in range(2):
        await queue_email(uow, approved(proposal), "cascade@example.com")
    (job,) = uow.email_jobs.rows.values()
    assert (job.recipient, job.message_id) == (
        "ops@acme.example",
        "<cascade-proposal-1-v1@example.com>",
    )
    assert uow.staged == []


async def test_a_gate_approval_queues_no_email() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow)
    await queue_email(uow, approved(proposal), "cascade@example.com")
    assert uow.email_jobs.rows == {}


async def test_an_approval_the_row_does_not_hold_is_dead_lettered() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow, EMAIL_ACTION)  # still pending
    with pytest.raises(RejectMessage, match="not sending proposal 1: proposal 1 is pending"):
        await queue_email(uow, approved(proposal), "cascade@example.com")
    proposal.status = "approved"
    event = approved(proposal)
    uow.proposals.rows.clear()
    with pytest.raises(RejectMessage, match="no proposal 1"):
        await queue_email(uow, event, "cascade@example.com")
    assert uow.email_jobs.rows == {}


async def test_a_failed_email_is_resent_with_an_audit_row() -> None:
    uow = FakeApprovalsWork()
    proposal = proposed(uow, EMAIL_ACTION)
    proposal.status = "approved"
    await queue_email(uow, approved(proposal), "cascade@example.com")
    job = uow.email_jobs.rows[1]
    job.status, job.last_error = "failed", "550 mailbox unavailable"
    await resend(uow, ResendRequest(1, "mike", None), 5)
    assert job.status == "queued"
    (audit,) = uow.audits.added
    assert audit.decision == "email_resend_requested"
    assert audit.reason == f"resend of failed email {job.message_id}: 550 mailbox unavailable"
    assert uow.committed


async def test_only_a_failed_email_is_resent() -> None:
    uow = FakeApprovalsWork()
    with pytest.raises(ResendRefused, match="has no approved email"):
        await resend(uow, ResendRequest(1, "mike", None), 5)
    proposal = proposed(uow, EMAIL_ACTION)
    proposal.status = "approved"
    await queue_email(uow, approved(proposal), "cascade@example.com")
    with pytest.raises(ResendRefused, match="the email is queued"):
        await resend(uow, ResendRequest(1, "mike", None), 5)
    assert uow.audits.added == []
    assert not uow.committed
