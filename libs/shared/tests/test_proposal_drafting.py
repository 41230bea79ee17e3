"""Unit tests of the runner's pure decisions, on the repo's real new_customer contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cascade.shared.canonical import canonical_json, sha256_of
from cascade.shared.contract import (
    Contract,
    evaluate_preconditions,
    load_contract,
    prepare_values,
    runtime_values,
)
from cascade.shared.proposals.drafting import (
    blocking_rules,
    draft_proposal,
    nul_errors,
    without_nul,
)

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "new_customer.yaml"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
INPUTS = {
    "company_name": "Acme, Inc.",
    "contact_email": "ops@acme.example",
    "billing_address": "1 Main St",
    "credit_limit": "2500.00",
}


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT)


def scope(contract: Contract, run_id: uuid.UUID, **context: object) -> dict[str, object]:
    values = prepare_values(contract, INPUTS, runtime_values(run_id, "new_customer", NOW))
    base = {
        "existing_by_name": [],
        "existing_by_email": [],
        "default_terms": 3,
        "requested_terms": None,
        "terms_id": 3,
        "terms_name": "Net 30",
        "default_programs": [{"id": 1, "name": "Welcome kit"}],
    }
    return values | base | context


def test_canonical_json_is_stable_and_exact() -> None:
    assert canonical_json({"b": Decimal("1.10"), "a": [1, "é"]}) == '{"a":[1,"é"],"b":"1.10"}'
    # A known vector (`printf '{"a":1,"b":2}' | sha256sum`), whichever order the keys come in.
    known = "43258cff783fe7036d8a43033f830adfc60ec037382473548ac742b888292777"
    assert sha256_of({"a": 1, "b": 2}) == sha256_of({"b": 2, "a": 1}) == known


def test_clean_run_proposes_with_hash_entity_ref_and_expiry(contract: Contract) -> None:
    run_id = uuid.uuid4()
    values = scope(contract, run_id)
    outcomes = evaluate_preconditions(contract, values)
    assert blocking_rules(outcomes) == []
    draft = draft_proposal(contract, run_id, INPUTS, values, {}, outcomes, NOW)
    assert draft.entity_ref == f"workflow:new_customer:run_{run_id}"
    assert draft.action_type == "workflow_new_customer"
    assert draft.approver == "mike"
    assert draft.payload_sha256 == sha256_of(draft.payload)
    assert draft.expires_at == NOW + timedelta(hours=24)
    assert draft.payload["warnings"] == []
    assert any(row["resource"] == "customers" for row in draft.payload["what_changes"])


def test_duplicate_blocks_and_names_the_rule(contract: Contract) -> None:
    values = scope(contract, uuid.uuid4(), existing_by_email=({"id": 7, "companyname": "Acme"},))
    assert blocking_rules(evaluate_preconditions(contract, values)) == ["no_duplicate"]


def test_email_without_at_is_a_warning_not_a_block(contract: Contract) -> None:
    run_id = uuid.uuid4()
    values = scope(contract, run_id) | {"contact_email": "ops.acme.example"}
    outcomes = evaluate_preconditions(contract, values)
    assert blocking_rules(outcomes) == []
    draft = draft_proposal(contract, run_id, INPUTS, values, {}, outcomes, NOW)
    assert draft.payload["warnings"] == ["valid_email"]


def test_nul_characters_are_named_and_replaced() -> None:
    inputs = {"company_name": "A\x00B", "tags": [{"k\x00": "v"}], "billing_address": "ok"}
    assert nul_errors(inputs) == [
        {"field": "inputs.company_name", "message": "must not contain NUL (U+0000) characters"},
        {"field": "inputs.tags", "message": "must not contain NUL (U+0000) characters"},
    ]
    assert without_nul(inputs) == {
        "company_name": "A\ufffdB",
        "tags": [{"k\ufffd": "v"}],
        "billing_address": "ok",
    }
    assert nul_errors({"n": 1, "s": "fine"}) == []
