"""Use cases: approve or reject a proposal as one compare-and-set with its audit and outbox rows."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

from cascade.approvals.conflicts import (
    Conflict,
    CurrentProposal,
    conflict_message,
    conflict_reason,
)
from cascade.approvals.repositories import Reviewed
from cascade.approvals.unit_of_work import DecisionWork
from cascade.shared.db.models import ApprovalAudit
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import ProposalDecision
from cascade.shared.topics import Topic, topic_name
from cascade.shared.tracing import continued_span

SOURCE = "cascade.approvals"
# What the admin decides: the proposal's status once the decision commits (an expiry is the
# runner's, not a decision).
Decision = Literal[ProposalStatus.APPROVED, ProposalStatus.REJECTED]
TOPICS: dict[Decision, Topic] = {
    ProposalStatus.APPROVED: Topic.PROPOSAL_APPROVED,
    ProposalStatus.REJECTED: Topic.PROPOSAL_REJECTED,
}


@dataclass(frozen=True)
class DecisionRequest:
    """What the admin asked: a decision on exactly this version and hash of a proposal."""

    proposal_id: int
    decision: Decision
    version: int
    payload_sha256: str
    actor: str
    remote_addr: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Decided:
    """A decision that committed together with its audit row and its event."""

    proposal_id: int
    run_id: uuid.UUID
    action_type: str
    status: Decision
    version: int
    payload_sha256: str
    decided_by: str
    decided_at: datetime
    reason: str | None


class ProposalNotFound(Exception):
    """No proposal has this id."""


class DecisionConflict(Exception):
    """The compare-and-set updated nothing; `reason` says why, `current` what is there."""

    def __init__(self, reason: Conflict, message: str, current: CurrentProposal) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.current = current


async def decide(uow: DecisionWork, request: DecisionRequest, topic_prefix: str) -> Decided:
    """Decide once: the first matching request commits the decision, its audit row and its
    event together; every other request raises and writes nothing."""
    reviewed = Reviewed(request.proposal_id, request.version, request.payload_sha256)
    row = await uow.proposals.decide(reviewed, request.decision, request.actor, request.reason)
    if row is None:
        raise await explain(uow, reviewed)
    decided = Decided(
        proposal_id=request.proposal_id,
        run_id=row.run_id,
        action_type=row.action_type,
        status=request.decision,
        version=request.version,
        payload_sha256=request.payload_sha256,
        decided_by=request.actor,
        decided_at=row.decided_at,
        reason=request.reason,
    )
    # The decision belongs to the run's trace (the proposal's `traceparent`, from the runner
    # that staged it), linked to the admin's request that made it.
    attributes: dict[str, str | int] = {
        "run_id": str(decided.run_id),
        "proposal_id": decided.proposal_id,
    }
    with continued_span(
        f"approvals {request.decision} proposal",
        row.traceparent,
        attributes=attributes,
        link_current=True,
    ):
        uow.audits.add(_audit(request, decided.run_id))
        topic = TOPICS[request.decision]
        envelope = new_envelope(
            topic, SOURCE, decided.run_id, _event(decided), key_suffix=str(decided.proposal_id)
        )
        uow.stage(topic_name(topic_prefix, topic), envelope)
        await uow.commit()
    return decided


async def explain(uow: DecisionWork, reviewed: Reviewed) -> Exception:
    """Why a compare-and-set on the proposal matched nothing: not found, or the conflict."""
    found = await uow.proposals.state(reviewed.proposal_id)
    if found is None:
        return ProposalNotFound(reviewed.proposal_id)
    proposal, is_expired = found
    current = CurrentProposal(
        status=proposal.status,
        version=proposal.version,
        payload_sha256=proposal.payload_sha256,
        expires_at=proposal.expires_at,
        expired=bool(is_expired),
        decided_by=proposal.decided_by,
        decided_at=proposal.decided_at,
    )
    reason = conflict_reason(current, reviewed.version, reviewed.payload_sha256)
    return DecisionConflict(reason, conflict_message(reason, current, reviewed.version), current)


def _audit(request: DecisionRequest, run_id: uuid.UUID) -> ApprovalAudit:
    # The audit row records the request as asked (its fields are the audit's columns).
    return ApprovalAudit(run_id=run_id, **asdict(request))


def _event(decided: Decided) -> dict[str, object]:
    # The event carries the decision's own fields, by name.
    return ProposalDecision.model_validate(decided, from_attributes=True).model_dump(mode="json")
