"""The repair proposal, pure: its action type, the drift it shows, the payload Mike approves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cascade.runner.repair_plan import action_type, draft_repair, drift_of, parse_action
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import Contract, load_contract

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
CHECK = "first_quote_context_stored"
RUN = uuid.UUID("4f9a2c1e-0000-4000-8000-000000000001")
NOW = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
SPEC = {"kind": "object", "key": "customers/x/v1.json", "sha256": "ab" * 32, "schema_version": 1}
DETAIL = {
    "reason": "object customers/x/v1.json is missing from the object store",
    "key": "customers/x/v1.json",
    "attempt": 3,
    "history": [{"attempt": 3}],
    "verdict": "fail",
}


@pytest.fixture
def new_customer() -> Contract:
    return load_contract(CONTRACTS / "new_customer.yaml")


@pytest.mark.parametrize("action", [action_type(CHECK, 0), action_type(CHECK, 12)])
def test_the_action_type_names_the_check_and_its_round(action: str) -> None:
    parsed = parse_action(action)
    assert parsed is not None
    assert parsed[0] == CHECK
    assert action == f"repair_check:{CHECK}:{parsed[1]}"


@pytest.mark.parametrize(
    "action", ["create_customer", "correct_ns_push:1:1", "repair_check:x", "repair_check:x:y"]
)
def test_other_proposals_are_not_repairs(action: str) -> None:
    assert parse_action(action) is None


def test_the_drift_is_what_the_check_expected_and_what_it_found() -> None:
    drift = drift_of(CHECK, "object", 1, SPEC, DETAIL)
    assert drift.expected == {
        "key": "customers/x/v1.json",
        "sha256": "ab" * 32,
        "schema_version": 1,
    }
    assert drift.found == {"key": "customers/x/v1.json"}, "no bookkeeping of the verifier"
    assert drift.reason == DETAIL["reason"]


def test_the_proposal_shows_the_drift_and_the_step_run_again(new_customer: Contract) -> None:
    check = new_customer.verify_check(CHECK)
    assert check is not None
    assert check.repair is not None
    drift = drift_of(CHECK, "object", 1, SPEC, DETAIL)
    draft = draft_repair(new_customer, RUN, "Acme", check.repair, drift, NOW)
    assert draft.action_type == f"repair_check:{CHECK}:1"
    assert (draft.approver, draft.expires_at) == ("mike", NOW + new_customer.hitl.expires_after)  # type: ignore[union-attr]
    assert draft.payload_sha256 == sha256_of(draft.payload)
    shown = draft.payload["presentation"]
    assert shown["title"] == "Repair: Acme"
    assert "missing from the object store" in shown["sentence"]
    assert {"label": "Expected sha256", "value": "ab" * 32} in shown["summary"]
    assert [c["step"] for c in shown["changes"]] == ["first_quote_context"] * 2
    assert draft.payload["rerun"] == ["first_quote_context"]
