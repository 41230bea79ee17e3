"""Unit tests of the checks of an event against the row it is about (pure, no IO)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cascade.runner.agreement import decision_disagreement, push_disagreement
from cascade.shared.db.models import NsPendingPush, ProposedAction
from cascade.shared.payloads import NsPushResult, ProposalDecision

RUN = uuid.uuid4()


def proposal(**changes: Any) -> ProposedAction:
    values: dict[str, Any] = {
        "id": 7,
        "run_id": RUN,
        "action_type": "workflow_new_customer",
        "status": "approved",
        "version": 2,
        "payload_sha256": "a" * 64,
    }
    return ProposedAction(**(values | changes))


DECISION = ProposalDecision(
    proposal_id=7,
    action_type="workflow_new_customer",
    version=2,
    payload_sha256="a" * 64,
    decided_by="mike",
)


def test_a_decision_the_row_agrees_with_passes() -> None:
    assert decision_disagreement(RUN, proposal(), DECISION, "approved") is None


@pytest.mark.parametrize(
    ("row", "decision", "decided", "expected"),
    [
        (None, DECISION, "approved", "proposal 7 does not exist"),
        (proposal(run_id=uuid.UUID(int=1)), DECISION, "approved", "belongs to run"),
        (proposal(status="pending"), DECISION, "approved", "is pending in the database"),
        (proposal(), DECISION, "rejected", "is approved in the database, not rejected"),
        (proposal(), DECISION.model_copy(update={"version": 1}), "approved", "version 2"),
        (proposal(), DECISION.model_copy(update={"payload_sha256": "b"}), "approved", "hash"),
        (proposal(), DECISION.model_copy(update={"action_type": "x"}), "approved", "'x'"),
    ],
    ids=["unknown", "wrong-run", "pending", "other-decision", "version", "hash", "action"],
)
def test_a_decision_the_row_contradicts_is_named(
    row: ProposedAction | None, decision: ProposalDecision, decided: str, expected: str
) -> None:
    found = decision_disagreement(RUN, row, decision, decided)
    assert found is not None
    assert expected in found.detail


def push(**changes: Any) -> NsPendingPush:
    values: dict[str, Any] = {
        "id": 3,
        "run_id": RUN,
        "record_type": "customer",
        "external_id": "cust-1",
        "status": "applied",
        "attempts": 2,
        "netsuite_id": "1001",
    }
    return NsPendingPush(**(values | changes))


RESULT = NsPushResult(
    push_id=3,
    record_type="customer",
    external_id="cust-1",
    status="applied",
    netsuite_id="1001",
    attempts=2,
)


def test_a_result_the_push_row_agrees_with_passes() -> None:
    assert push_disagreement(RUN, push(), RESULT) is None
    failed = RESULT.model_copy(update={"status": "failed", "netsuite_id": None})
    assert push_disagreement(RUN, push(status="failed", netsuite_id=None), failed) is None


@pytest.mark.parametrize(
    ("row", "result", "expected"),
    [
        (None, RESULT, "push 3 does not exist"),
        (push(run_id=uuid.UUID(int=1)), RESULT, "belongs to run"),
        (push(external_id="cust-2"), RESULT, "'cust-2'"),
        (push(status="pending", netsuite_id=None), RESULT, "is pending in the database"),
        (push(status="in_flight", netsuite_id=None), RESULT, "is in_flight in the database"),
        (push(status="retrying", netsuite_id=None), RESULT, "is retrying in the database"),
        (push(status="failed", netsuite_id=None), RESULT, "is failed in the database"),
        (push(), RESULT.model_copy(update={"netsuite_id": "FORGED-999"}), "'FORGED-999'"),
        (push(), RESULT.model_copy(update={"attempts": 9}), "attempted 2 time(s)"),
    ],
    ids=[
        "unknown",
        "wrong-run",
        "external-id",
        "pending",
        "in-flight",
        "retrying",
        "failed",
        "netsuite-id",
        "attempts",
    ],
)
def test_a_result_the_push_row_contradicts_is_named(
    row: NsPendingPush | None, result: NsPushResult, expected: str
) -> None:
    found = push_disagreement(RUN, row, result)
    assert found is not None
    assert expected in found.detail
