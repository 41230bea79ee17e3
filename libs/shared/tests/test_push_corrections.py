"""The checks ns-pusher makes before applying a corrected push. Pure."""

from __future__ import annotations

import uuid
from typing import Any

from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.payloads import ProposalDecision
from cascade.shared.push_corrections import (
    FieldChange,
    PushCorrection,
    action_type,
    correction_disagreement,
    is_correction,
    mirror_values,
    push_problem,
)

RUN = uuid.uuid4()
PAYLOAD: dict[str, Any] = {"kind": "ns_push_correction", "push_id": 7, "body": {"email": "a@b.c"}}


def proposal(**kw: Any) -> ProposedAction:
    fields: dict[str, Any] = {
        "id": 5, "run_id": RUN, "action_type": action_type(7, 1), "approver": "mike",
        "status": "approved", "decided_by": "mike", "version": 1, "payload": PAYLOAD,
        "payload_sha256": sha256_of(PAYLOAD),
    }  # fmt: skip
    return ProposedAction(**{**fields, **kw})


def decision(**kw: Any) -> ProposalDecision:
    fields: dict[str, Any] = {
        "proposal_id": 5, "action_type": action_type(7, 1), "version": 1,
        "payload_sha256": sha256_of(PAYLOAD), "decided_by": "mike",
    }  # fmt: skip
    return ProposalDecision(**{**fields, **kw})


def approved_audit(**kw: Any) -> list[ApprovalAudit]:
    fields: dict[str, Any] = {
        "proposal_id": 5, "run_id": RUN, "decision": "approved", "actor": "mike",
        "version": 1, "payload_sha256": sha256_of(PAYLOAD),
    }  # fmt: skip
    return [ApprovalAudit(**{**fields, **kw})]


def test_action_types_are_one_per_correction() -> None:
    assert action_type(7, 2) == "correct_ns_push:7:2"
    assert is_correction("correct_ns_push:7:2")
    assert not is_correction("workflow_new_customer")
    assert not is_correction("correct_ns_push:x")


def test_a_real_approval_agrees() -> None:
    assert correction_disagreement(RUN, decision(), proposal(), approved_audit()) is None


def test_forged_or_stale_approvals_disagree() -> None:
    audit = approved_audit()
    assert "does not exist" in (correction_disagreement(RUN, decision(), None, audit) or "")
    assert "pending" in (
        correction_disagreement(RUN, decision(), proposal(status="pending"), audit) or ""
    )
    assert correction_disagreement(uuid.uuid4(), decision(), proposal(), audit)
    assert correction_disagreement(RUN, decision(version=2), proposal(), audit)
    assert correction_disagreement(RUN, decision(payload_sha256="0" * 64), proposal(), audit)
    assert correction_disagreement(RUN, decision(), proposal(decided_by="eve"), audit)
    assert correction_disagreement(RUN, decision(), proposal(payload={"other": 1}), audit)
    no_audit = correction_disagreement(RUN, decision(), proposal(), [])
    assert no_audit is not None
    assert "no audited approval" in no_audit
    assert correction_disagreement(RUN, decision(), proposal(), approved_audit(actor="eve"))


def test_a_correction_fits_only_the_failed_push_it_was_made_for() -> None:
    body = {"externalId": "c1", "email": "bad"}
    correction = PushCorrection(
        kind="ns_push_correction", push_id=7, record_type="customer", external_id="c1",
        base_sha256=sha256_of(body), body={**body, "email": "a@b.example"},
        changes=[FieldChange(field="email", before="bad", after="a@b.example")],
    )  # fmt: skip

    def row(**kw: Any) -> NsPendingPush:
        fields: dict[str, Any] = {
            "id": 7, "run_id": RUN, "record_type": "customer", "external_id": "c1",
            "payload": body, "status": "failed",
        }  # fmt: skip
        return NsPendingPush(**{**fields, **kw})

    assert push_problem(correction, RUN, row()) == ""
    assert "applied" in push_problem(correction, RUN, row(status="applied"))
    assert "changed" in push_problem(correction, RUN, row(payload={"email": "other"}))
    assert push_problem(correction, uuid.uuid4(), row())
    assert push_problem(correction, RUN, None)
    assert mirror_values("customer", correction.changes) == {"email": "a@b.example"}
    assert mirror_values("invoice", correction.changes) == {}
