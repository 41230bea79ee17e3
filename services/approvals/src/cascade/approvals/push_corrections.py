"""Correct and re-push: Mike's edit of a refused NetSuite push becomes a new proposal.

Nothing is pushed here. The corrected body is staged as a pending proposal of the push's run
(`cascade.shared.push_corrections`), audited; Mike approves it like any proposal (the same
compare-and-set on version and hash, CSRF, his session), and ns-pusher applies it after
checking that approval against the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cascade.approvals.push_failures import explain
from cascade.approvals.unit_of_work import PushActionWork
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.db.statuses import ProposalStatus, PushStatus
from cascade.shared.push_corrections import (
    PAYLOAD_KIND,
    PROPOSED,
    FieldChange,
    action_type,
    mirror_values,
)
from cascade.shared.text_rules import address_problem, control_character_problem

# Body fields Mike may correct, with the input type and label the form shows.
EDITABLE: dict[str, tuple[str, str]] = {
    "email": ("email", "Email"),
    "phone": ("tel", "Phone"),
    "companyName": ("text", "Company name"),
}
MAX_VALUE = 300


@dataclass(frozen=True)
class EditableField:
    """One field of the correction form."""

    name: str
    label: str
    input_type: str
    value: str
    named_by_netsuite: bool


class CorrectionRefused(Exception):
    """The push cannot be corrected (unknown, another run's, not a permanent refusal)."""


class CorrectionInvalid(Exception):
    """Mike's values are not acceptable; `errors` maps each field to a plain message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class CorrectionRequest:
    """Who corrects which push to what, against the body they saw."""

    run_id: uuid.UUID
    push_id: int
    base_sha256: str
    values: dict[str, str]
    actor: str
    remote_addr: str | None


def editable_fields(push: NsPendingPush) -> list[EditableField]:
    """The form's fields: the one NetSuite named first, then the other editable ones."""
    named = explain(push.record_type, push.last_error).field
    fields = [
        EditableField(name, label, kind, str(push.payload.get(name) or ""), name == named)
        for name, (kind, label) in EDITABLE.items()
        if name in push.payload or name == named
    ]
    return sorted(fields, key=lambda f: not f.named_by_netsuite)


def value_problem(name: str, value: str) -> str | None:
    """Why a corrected value cannot go to NetSuite, in plain words (pure)."""
    if len(value) > MAX_VALUE:
        return f"Keep it under {MAX_VALUE} characters."
    if control_character_problem(value):
        return "Write it on one line, without tabs or line breaks."
    if name == "email" and value and address_problem(value):
        return "Enter one email address, like orders@acme.example."
    if name == "companyName" and not value.strip():
        return "NetSuite needs a company name."
    return None


def corrected_body(
    push: NsPendingPush, values: dict[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The push body with Mike's values, and each field that changed (pure);
    CorrectionInvalid when a value is not acceptable or nothing changed."""
    fields = editable_fields(push)
    allowed = {f.name for f in fields}
    values = {name: value.strip() for name, value in values.items()}
    errors = {n: p for n, v in values.items() if n in allowed and (p := value_problem(n, v))}
    if errors:
        raise CorrectionInvalid(errors)
    body, changes = dict(push.payload), []
    for name in sorted(allowed):
        if name in values and values[name] != str(body.get(name) or ""):
            changes.append({"field": name, "before": body.get(name), "after": values[name]})
            body[name] = values[name]
    if not changes:
        first = fields[0].name if fields else "value"
        raise CorrectionInvalid(
            {first: "Change at least one value; this is what NetSuite refused."}
        )
    return body, changes


def correctable_problem(push: NsPendingPush | None, run_id: uuid.UUID) -> str | None:
    """Why this push offers no correction, or None."""
    if push is None or push.run_id != run_id:
        return f"run {run_id} has no such push"
    if push.status != PushStatus.FAILED:
        return f"push {push.id} is {push.status}; only a push NetSuite refused is corrected"
    if not explain(push.record_type, push.last_error).correctable:
        return f"push {push.id} failed for a reason editing cannot fix: use Retry"
    return None


async def propose_correction(uow: PushActionWork, ask: CorrectionRequest) -> int:
    """Stage the corrected push as a pending proposal with its audit row; its id."""
    push = await uow.pushes.lock(ask.push_id)
    problem = correctable_problem(push, ask.run_id)
    if problem is not None:
        raise CorrectionRefused(problem)
    assert push is not None
    if sha256_of(push.payload) != ask.base_sha256:
        raise CorrectionRefused(f"push {push.id} changed since you opened the form; reload it")
    waiting = await uow.proposals.pending_correction(push.id)
    if waiting is not None:
        return waiting.id
    body, changes = corrected_body(push, ask.values)
    gate = await uow.proposals.gate_of(ask.run_id)
    count = await uow.proposals.corrections_of(push.id)
    failure = explain(push.record_type, push.last_error)
    said = "; ".join(f"{c['field']} {c['before']!r} → {c['after']!r}" for c in changes)
    payload = correction_payload(push, body, changes, failure.sentence, said)
    proposal = ProposedAction(
        run_id=ask.run_id, action_type=action_type(push.id, count + 1),
        entity_ref=f"ns_push:{push.id}:{push.record_type}:{push.external_id}",
        approver=gate.approver if gate else "mike", status=ProposalStatus.PENDING, payload=payload,
        payload_sha256=sha256_of(payload), version=1, expires_at=None,
    )  # fmt: skip
    proposal_id = await uow.proposals.add(proposal)
    uow.audits.add(
        ApprovalAudit(
            proposal_id=proposal_id, run_id=ask.run_id, decision=PROPOSED, actor=ask.actor,
            payload_sha256=proposal.payload_sha256, version=1,
            reason=f"correction of NetSuite push {push.id}: {said}", remote_addr=ask.remote_addr,
        )
    )  # fmt: skip
    await uow.commit()
    return proposal_id


def correction_payload(
    push: NsPendingPush,
    body: dict[str, Any],
    changes: list[dict[str, Any]],
    refusal: str,
    said: str,
) -> dict[str, Any]:
    """The proposal's payload: what ns-pusher applies, plus what the proposal page shows."""
    sentence = f"Re-push {push.record_type} {push.external_id} to NetSuite with {said}"
    fields = [FieldChange.model_validate(c) for c in changes]
    return {
        "kind": PAYLOAD_KIND,
        "push_id": push.id,
        "record_type": push.record_type,
        "external_id": push.external_id,
        "base_sha256": sha256_of(push.payload),
        "body": body,
        "changes": changes,
        "refused": refusal,
        "what_changes": [
            {
                "system": "netsuite",
                "resource": push.record_type,
                "action": "upsert",
                "source": f"ns-pusher (push {push.id})",
            },
        ],
        "presentation": {
            "title": f"Correct {push.record_type} {push.external_id}",
            "summary": [{"label": c["field"], "value": str(c["after"])} for c in changes],
            "sentence": sentence,
            "changes": [
                {"system": "NetSuite", "resource": push.record_type, "says": sentence},
                *(
                    {"system": "Mirror", "resource": push.record_type, "says": f"{k} becomes {v}"}
                    for k, v in mirror_values(push.record_type, fields).items()
                ),
            ],
            "plumbing": [],
            "warnings": [],
            "queries": [],
            "statements": [],
            "netsuite": [
                {
                    "step": f"push {push.id}",
                    "record_type": push.record_type,
                    "method": "PUT",
                    "path": f"/record/v1/{push.record_type}/eid:{push.external_id}",
                    "body": body,
                },
            ],
        },
    }
