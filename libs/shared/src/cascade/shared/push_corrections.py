"""A corrected NetSuite push as an approvable proposal: its action type, payload and checks.

Mike corrects a push NetSuite refused for good (a 4xx validation error such as
`400 INVALID_CONTENT` on `email`); the approvals UI stages the corrected body as a new
proposal of the push's run, and ns-pusher, which owns pushes, applies it only after Mike
approved it. `proposed_actions` is unique per (run, action type), so each correction has
its own action type: `correct_ns_push:<push id>:<n>`, `n` counting that push's corrections.
Pure: no IO.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.db.statuses import ProposalStatus, PushStatus
from cascade.shared.payloads import ProposalDecision

ACTION_PREFIX = "correct_ns_push:"
PAYLOAD_KIND = "ns_push_correction"
PROPOSED = "correction_proposed"
APPLIED = "correction_applied"
# NetSuite body field -> mirror column of the same record, kept equal to what NetSuite holds.
MIRROR_COLUMNS: dict[str, dict[str, str]] = {
    "customer": {"email": "email", "phone": "phone", "companyName": "companyname"},
}
_ACTION = re.compile(r"^correct_ns_push:(\d+):(\d+)$")


def action_type(push_id: int, number: int) -> str:
    """The action type of the `number`-th correction of push `push_id`."""
    return f"{ACTION_PREFIX}{push_id}:{number}"


def is_correction(action: str) -> bool:
    """Whether a proposal's action type names a push correction."""
    return _ACTION.match(action) is not None


class FieldChange(BaseModel):
    """One edited field of the push body: what NetSuite refused and what Mike wrote."""

    model_config = ConfigDict(extra="ignore")
    field: str
    before: Any = None
    after: Any = None


class PushCorrection(BaseModel):
    """The part of a correction proposal's payload ns-pusher acts on (a tolerant reader)."""

    model_config = ConfigDict(extra="ignore")
    kind: str
    push_id: int
    record_type: str
    external_id: str
    base_sha256: str
    body: dict[str, Any]
    changes: list[FieldChange]


def correction_disagreement(
    run_id: uuid.UUID,
    decision: ProposalDecision,
    proposal: ProposedAction | None,
    approvals: list[ApprovalAudit],
) -> str | None:
    """Why the database contradicts a `proposal.approved` of a correction, or None.

    The approval must be the compare-and-set the approvals service committed: the row is
    approved at the event's version and hash, by its own approver, with the audit row that
    decision wrote; and the stored payload still hashes to what was approved.
    """
    pid = decision.proposal_id
    if proposal is None:
        return f"proposal {pid} does not exist"
    if proposal.run_id != run_id:
        return f"proposal {pid} belongs to run {proposal.run_id}, not {run_id}"
    if proposal.action_type != decision.action_type:
        return f"proposal {pid} is a {proposal.action_type}, the event says {decision.action_type}"
    if proposal.status != ProposalStatus.APPROVED:
        return f"proposal {pid} is {proposal.status} in the database, not approved"
    if (proposal.version, proposal.payload_sha256) != (decision.version, decision.payload_sha256):
        return f"proposal {pid} was approved at another version or hash than the event says"
    if proposal.decided_by != proposal.approver:
        return f"proposal {pid} was decided by {proposal.decided_by}, not {proposal.approver}"
    if sha256_of(proposal.payload) != proposal.payload_sha256:
        return f"proposal {pid}'s stored payload no longer matches its hash"
    audited = any(
        a.decision == "approved"
        and a.actor == proposal.approver
        and (a.version, a.payload_sha256) == (proposal.version, proposal.payload_sha256)
        for a in approvals
    )
    if not audited:
        return f"proposal {pid} has no audited approval by {proposal.approver}"
    return None


def push_problem(correction: PushCorrection, run_id: uuid.UUID, push: NsPendingPush | None) -> str:
    """Why an approved correction cannot be applied to the push row as it is now ('' if it can)."""
    if push is None:
        return f"push {correction.push_id} does not exist"
    if push.run_id != run_id:
        return f"push {push.id} belongs to run {push.run_id}, not {run_id}"
    if (push.record_type, push.external_id) != (correction.record_type, correction.external_id):
        return f"push {push.id} is {push.record_type} {push.external_id}, not the corrected one"
    if push.status != PushStatus.FAILED:
        return f"push {push.id} is {push.status}; only a failed push is corrected"
    if sha256_of(push.payload) != correction.base_sha256:
        return f"push {push.id}'s body changed since the correction was proposed"
    return ""


def mirror_values(record_type: str, changes: list[FieldChange]) -> dict[str, Any]:
    """The mirror columns the corrected fields stand for (`customers.email` for `email`)."""
    columns = MIRROR_COLUMNS.get(record_type, {})
    return {columns[c.field]: c.after for c in changes if c.field in columns}
