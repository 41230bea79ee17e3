"""`payload["presentation"]` for a realistic new_customer run (pure): the agreed shape, every
template rendered, and the NetSuite body exactly as the push step will stage it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cascade.runner.runstate import run_values
from cascade.shared.canonical import sha256_of, to_jsonable
from cascade.shared.contract import (
    Contract,
    NetSuitePushStep,
    evaluate_preconditions,
    load_contract,
    netsuite_payload,
)
from cascade.shared.db.models import WorkflowRun
from cascade.shared.proposals.drafting import draft_proposal
from cascade.shared.proposals.presentation import proposal_presentation

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "new_customer.yaml"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RUN_ID = uuid.UUID("0b6f4c52-2f7e-4a55-9d0c-6f3a3d1c2b10")
INPUTS = {
    "company_name": "Acme Corp",
    "contact_email": "not-an-email",
    "contact_phone": "+1 555 0100",
    "billing_address": "1 Main St",
    "credit_limit": "50000.00",
    "pricing_tier": "gold",
    "sales_rep": "Dana",
}
# The context as the runner stores it on the run (JSON).
CONTEXT = {
    "existing_by_name": [],
    "existing_by_email": [],
    "default_terms": 3,
    "requested_terms": None,
    "terms_id": 3,
    "terms_name": "Net 30",
    "default_programs": [{"id": 1, "name": "Welcome kit"}, {"id": 2, "name": "Loyalty points"}],
}
EXTERNAL_ID = f"cascade-customer-{RUN_ID}"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT)


@pytest.fixture
def run() -> WorkflowRun:
    return WorkflowRun(
        run_id=RUN_ID,
        workflow_type="new_customer",
        inputs=INPUTS,
        requested_at=NOW,
        context=CONTEXT,
    )


@pytest.fixture
def shown(contract: Contract, run: WorkflowRun) -> dict[str, Any]:
    scope = run_values(contract, run)
    return proposal_presentation(contract, scope, evaluate_preconditions(contract, scope))


def test_the_agreed_keys(shown: dict[str, Any]) -> None:
    assert set(shown) == {
        "title",
        "summary",
        "sentence",
        "changes",
        "plumbing",
        "warnings",
        "queries",
        "statements",
        "netsuite",
    }
    assert shown["title"] == "Acme Corp"
    assert shown["summary"][2] == {"label": "Credit limit", "value": "50,000.00"}
    assert shown["sentence"] == (
        "Create Acme Corp in the mirror and in NetSuite — gold tier, Net 30, credit 50,000.00; "
        "assign Welcome kit, Loyalty points; draft a welcome email to not-an-email"
    )


def test_no_template_is_left_unrendered(shown: dict[str, Any]) -> None:
    assert "{{" not in str({k: v for k, v in shown.items() if k != "queries"})
    assert shown["changes"][1]["says"] == (
        f"Create Acme Corp in NetSuite as customer {EXTERNAL_ID}, then record its NetSuite id "
        "in the mirror"
    )


def test_the_refused_email_is_a_warning_that_says_what_netsuite_will_do(
    shown: dict[str, Any],
) -> None:
    [warning] = shown["warnings"]
    assert warning["name"] == "valid_email"
    assert warning["message"] == (
        "The contact email does not look like an address (name@domain.tld)."
    )
    assert (
        "NetSuite refuses such an address (400 INVALID_CONTENT on email)" in (warning["downstream"])
    )


def test_the_netsuite_body_is_exactly_what_the_push_step_stages(
    contract: Contract, run: WorkflowRun, shown: dict[str, Any]
) -> None:
    [request] = shown["netsuite"]
    assert request == {
        "step": "write_ns",
        "record_type": "customer",
        "method": "PUT",
        "path": f"/services/rest/record/v1/customer/eid:{EXTERNAL_ID}",
        "body": {
            "externalId": EXTERNAL_ID,
            "companyName": "Acme Corp",
            "email": "not-an-email",
            "phone": "+1 555 0100",
            "creditLimit": "50000.00",
            "terms": {"id": 3},
            "addressBook": {
                "items": [
                    {
                        "defaultBilling": True,
                        "defaultShipping": False,
                        "addressBookAddress": {"addr1": "1 Main St"},
                    },
                    {
                        "defaultBilling": False,
                        "defaultShipping": True,
                        "addressBookAddress": {"addr1": "1 Main St"},
                    },
                ]
            },
        },
    }
    # The executor's values after write_d1 (what `_stage_push` renders the body from).
    step = contract.step("write_ns")
    assert isinstance(step, NetSuitePushStep)
    external_id, body = netsuite_payload(step, run_values(contract, run) | {"customer_id": 42})
    assert (external_id, to_jsonable(body)) == (EXTERNAL_ID, request["body"])


def test_queries_statements_and_markers(shown: dict[str, Any]) -> None:
    queries = {q["name"]: q for q in shown["queries"]}
    assert queries["existing_by_email"]["params"] == {"contact_email_normalized": "not-an-email"}
    assert queries["terms_id"]["rows"] == [{"id": 3}]
    assert queries["requested_terms"]["rows"] == []
    assert queries["default_programs"]["rows"] == CONTEXT["default_programs"]
    statements = {s["step"]: s for s in shown["statements"]}
    assert statements["write_d1"]["params"]["customer_external_id"] == EXTERNAL_ID
    assert statements["write_d1"]["params"]["credit_limit"] == "50000.00"
    assert statements["assign_programs"]["params"] == {
        "customer_id": "(set when step write_d1 has run)",
        "pricing_tier": "gold",
    }
    assert statements["write_ns"]["params"]["netsuite_id"] == "(set when step write_ns has run)"


def test_the_proposal_keeps_the_old_keys_and_hashes_the_presentation(
    contract: Contract, run: WorkflowRun
) -> None:
    scope = run_values(contract, run)
    outcomes = evaluate_preconditions(contract, scope)
    draft = draft_proposal(contract, RUN_ID, INPUTS, scope, CONTEXT, outcomes, NOW)
    assert draft.payload["warnings"] == ["valid_email"]
    assert draft.payload["what_changes"]
    assert draft.payload["presentation"] == proposal_presentation(contract, scope, outcomes)
    assert draft.payload_sha256 == sha256_of(draft.payload)
