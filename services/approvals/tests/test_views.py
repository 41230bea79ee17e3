"""Unit tests of row → JSON shaping: models built in memory, no IO."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from cascade.approvals.decisions import Decided, DecisionRequest, _audit, _event
from cascade.approvals.queries import RunBundle
from cascade.approvals.run_views import run_detail
from cascade.approvals.views import decided_view, proposal_detail, proposal_item
from cascade.shared.db.models import (
    ApprovalAudit,
    NsPendingPush,
    ProposedAction,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.db.statuses import ProposalStatus

RUN_ID = uuid.UUID("12345678-1234-5678-1234-567812345678")
AT = datetime(2029, 5, 1, 12, 0, tzinfo=UTC)
PAYLOAD = {
    "workflow_type": "new_customer",
    "inputs": {"company_name": "Acme"},
    "context": {"existing": []},
    "preconditions": [{"name": "no_dup", "severity": "block", "value": 0, "passed": True}],
    "warnings": [],
    "what_changes": [{"system": "netsuite", "resource": "customer", "action": "upsert"}],
}


def proposal(**changes: object) -> ProposedAction:
    fields: dict[str, object] = {
        "id": 7,
        "run_id": RUN_ID,
        "action_type": "create_customer",
        "entity_ref": "customer:acme",
        "approver": "mike",
        "status": "pending",
        "payload": PAYLOAD,
        "payload_sha256": "ab" * 32,
        "version": 2,
        "expires_at": AT,
        "created_at": AT,
    }
    return ProposedAction(**{**fields, **changes})


def test_list_item_carries_the_identifying_fields() -> None:
    item = proposal_item(proposal())
    assert item["id"] == 7
    assert item["run_id"] == str(RUN_ID)
    assert (item["action_type"], item["status"], item["version"]) == (
        "create_customer",
        "pending",
        2,
    )
    assert item["payload_sha256"] == "ab" * 32
    assert item["expires_at"] == "2029-05-01T12:00:00+00:00"
    assert item["decided_at"] is None


def test_detail_shows_review_sections_payload_and_audit() -> None:
    audit = ApprovalAudit(
        id=1, proposal_id=7, run_id=RUN_ID, decision="approved", actor="mike",
        payload_sha256="ab" * 32, version=2, reason=None, remote_addr="10.0.0.5", created_at=AT,
    )  # fmt: skip
    detail = proposal_detail(proposal(status="approved", decided_by="mike", decided_at=AT), [audit])
    assert detail["payload"] == PAYLOAD
    assert detail["what_changes"] == PAYLOAD["what_changes"]
    assert detail["preconditions"] == PAYLOAD["preconditions"]
    assert (detail["approver"], detail["decided_by"]) == ("mike", "mike")
    assert detail["audit"][0]["remote_addr"] == "10.0.0.5"
    assert detail["audit"][0]["created_at"] == "2029-05-01T12:00:00+00:00"
    json.dumps(detail)  # plain JSON types only


def test_detail_tolerates_a_payload_without_review_sections() -> None:
    detail = proposal_detail(proposal(payload={"something": "else"}), [])
    assert detail["inputs"] is None
    assert detail["what_changes"] is None
    assert detail["payload"] == {"something": "else"}


def test_run_detail_has_every_section() -> None:
    run = WorkflowRun(
        run_id=RUN_ID, workflow_type="new_customer", status="partial", inputs={"a": 1},
        requested_at=AT, created_at=AT, updated_at=AT,
    )  # fmt: skip
    step = WorkflowRunStep(
        run_id=RUN_ID, step_id="push_netsuite", status="failed", attempts=3, last_error="500"
    )
    push = NsPendingPush(
        id=1, run_id=RUN_ID, record_type="customer", external_id="e1", payload={},
        status="failed", attempts=3, last_error="500", created_at=AT, updated_at=AT,
    )  # fmt: skip
    bundle = RunBundle(run, [step], [proposal()], [], [push], [], None, None)
    detail = run_detail(bundle)
    assert (detail["status"], detail["run_id"]) == ("partial", str(RUN_ID))
    assert detail["steps"][0] == {
        "step_id": "push_netsuite", "status": "failed", "attempts": 3, "last_error": "500",
        "output": None, "next_attempt_at": None, "started_at": None, "finished_at": None,
    }  # fmt: skip
    assert detail["proposals"] == [{"id": 7, "action_type": "create_customer", "status": "pending"}]
    assert detail["netsuite_pushes"][0]["external_id"] == "e1"
    assert (detail["events"], detail["verify_results"]) == ([], [])
    assert (detail["run_log"], detail["reflexion"]) == (None, None)
    json.dumps(detail)


def test_a_decision_answers_audits_and_publishes_its_own_fields() -> None:
    ask = DecisionRequest(7, ProposalStatus.REJECTED, 2, "ab" * 32, "mike", "10.0.0.1", "no")
    done = Decided(7, RUN_ID, "create_customer", ask.decision, 2, "ab" * 32, "mike", AT, "no")
    assert json.dumps(decided_view(done)) == json.dumps(
        {
            "proposal_id": 7,
            "run_id": str(RUN_ID),
            "action_type": "create_customer",
            "status": "rejected",
            "version": 2,
            "payload_sha256": "ab" * 32,
            "decided_by": "mike",
            "decided_at": AT.isoformat(),
            "reason": "no",
        }
    )
    assert _event(done) == {
        "proposal_id": 7,
        "action_type": "create_customer",
        "version": 2,
        "payload_sha256": "ab" * 32,
        "decided_by": "mike",
        "reason": "no",
    }
    row = _audit(ask, RUN_ID)
    assert (row.proposal_id, row.run_id, row.decision, row.actor) == (7, RUN_ID, "rejected", "mike")
    assert (row.payload_sha256, row.version, row.reason) == ("ab" * 32, 2, "no")
    assert row.remote_addr == "10.0.0.1"
