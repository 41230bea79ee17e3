"""Pure shaping of rows into the API's JSON: ISO 8601 times, string ids, nothing hidden."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from cascade.approvals.decisions import Decided
from cascade.shared.db.models import ApprovalAudit, ProposedAction, WorkflowRun

# The parts of the runner's proposal payload that Mike reviews, shown beside the payload.
PAYLOAD_SECTIONS = ("inputs", "context", "preconditions", "warnings", "what_changes")
Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """A timestamp as ISO 8601, or None."""
    return value.isoformat() if value is not None else None


def uid(value: uuid.UUID | None) -> str | None:
    """A UUID as its canonical string, or None."""
    return str(value) if value is not None else None


def proposal_item(p: ProposedAction) -> Json:
    """One entry of the proposal list."""
    return {
        "id": p.id,
        "run_id": uid(p.run_id),
        "action_type": p.action_type,
        "entity_ref": p.entity_ref,
        "status": p.status,
        "version": p.version,
        "payload_sha256": p.payload_sha256,
        "expires_at": iso(p.expires_at),
        "created_at": iso(p.created_at),
        "decided_at": iso(p.decided_at),
    }


def proposal_detail(p: ProposedAction, audit: Sequence[ApprovalAudit]) -> Json:
    """Everything Mike needs to decide: the review sections, the exact payload and its hash."""
    sections = {name: p.payload.get(name) for name in PAYLOAD_SECTIONS}
    return {
        **proposal_item(p),
        "approver": p.approver,
        "decided_by": p.decided_by,
        "decision_reason": p.decision_reason,
        **sections,
        "payload": p.payload,
        "audit": [audit_row(a) for a in audit],
    }


def audit_row(a: ApprovalAudit) -> Json:
    """One decision as recorded in the append-only audit table."""
    return {
        "id": a.id,
        "decision": a.decision,
        "actor": a.actor,
        "payload_sha256": a.payload_sha256,
        "version": a.version,
        "reason": a.reason,
        "remote_addr": a.remote_addr,
        "created_at": iso(a.created_at),
    }


def run_item(r: WorkflowRun) -> Json:
    """One entry of the run list."""
    return {
        "run_id": uid(r.run_id),
        "workflow_type": r.workflow_type,
        "status": r.status,
        "requested_at": iso(r.requested_at),
        "started_at": iso(r.started_at),
        "completed_at": iso(r.completed_at),
        "error": r.error,
    }


def decided_view(d: Decided) -> Json:
    """The answer to a successful approve or reject: the decision's fields, in order."""
    return {**asdict(d), "run_id": uid(d.run_id), "decided_at": iso(d.decided_at)}
