"""What the runner calls: values, context shaping, preconditions, binding, rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cascade.shared.contract import (
    ContextResultError,
    Contract,
    NetSuitePushStep,
    bind,
    blocking_names,
    context_closure,
    email_draft,
    entity_ref,
    evaluate_preconditions,
    event_key,
    failed_blocks,
    load_contract,
    needs_map,
    netsuite_payload,
    prepare_values,
    ready_steps,
    runtime_values,
    shape_context_result,
)

RUN_ID = "0b6f4c52-2f7e-4a55-9d0c-6f3a3d1c2b10"
RUNTIME = runtime_values(RUN_ID, "new_customer", datetime(2025, 1, 2, tzinfo=UTC))
REQUEST = {
    "company_name": "  Acme, Inc. ",
    "contact_email": "Jane@Acme.example",
    "billing_address": "1 Main St, Springfield",
}


@pytest.fixture
def contract(contracts_dir: Path) -> Contract:
    return load_contract(contracts_dir / "new_customer.yaml")


@pytest.fixture
def values(contract: Contract) -> dict[str, Any]:
    started = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    return prepare_values(contract, REQUEST, runtime_values(RUN_ID, "new_customer", started))


def _context(contract: Contract, rows: dict[str, list[dict[str, Any]]]) -> dict[str, object]:
    return {q.name: shape_context_result(q, rows.get(q.name, [])) for q in contract.context}


def test_prepare_values_validates_and_derives(values: dict[str, Any]) -> None:
    assert values["company_name"] == "Acme, Inc."
    assert values["company_name_normalized"] == "acme"
    assert values["contact_email_normalized"] == "jane@acme.example"
    assert values["shipping_address_effective"] == "1 Main St, Springfield"
    assert values["pricing_tier"] == "standard"
    assert values["credit_limit"] is None
    # A template derived value is known before approval (the NetSuite body is exact).
    assert values["customer_external_id"] == f"cascade-customer-{RUN_ID}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"company_name": "x" * 201}, "company_name"),
        ({"contact_email": "x" * 255}, "contact_email"),
        ({"credit_limit": "12.345"}, "credit_limit"),
        ({"credit_limit": "-1"}, "credit_limit"),
        ({"pricing_tier": "diamond"}, "pricing_tier"),
        ({"contact_phone": "call me"}, "contact_phone"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"company_name": None}, "company_name"),
    ],
)
def test_requests_are_validated_against_the_inputs(
    contract: Contract, change: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        prepare_values(contract, {**REQUEST, **change}, RUNTIME)
    assert [e["loc"][0] for e in caught.value.errors()] == [field]


def test_credit_limit_is_an_exact_decimal(contract: Contract) -> None:
    values = prepare_values(contract, {**REQUEST, "credit_limit": "2500.10"}, RUNTIME)
    assert values["credit_limit"] == Decimal("2500.10")


def test_shape_context_results(contract: Contract) -> None:
    by_name = {q.name: q for q in contract.context}
    assert shape_context_result(by_name["default_terms"], [{"id": 4}]) == 4
    assert shape_context_result(by_name["default_terms"], []) is None
    assert shape_context_result(by_name["existing_by_name"], []) == ()
    rows = [{"id": 1, "companyname": "ACME Inc"}]
    assert shape_context_result(by_name["existing_by_name"], rows) == (
        {"id": 1, "companyname": "ACME Inc"},
    )
    with pytest.raises(ContextResultError, match="returned 2 rows; expected at most one"):
        shape_context_result(by_name["default_terms"], [{"id": 1}, {"id": 2}])


@pytest.mark.parametrize(
    ("rows", "blocking"),
    [
        ({"default_terms": [{"id": 4}], "default_programs": [{"id": 1, "name": "x"}]}, []),
        (
            {"default_terms": [{"id": 4}], "existing_by_name": [{"id": 9, "companyname": "ACME"}]},
            ["no_duplicate"],
        ),
        (
            {"default_terms": [{"id": 4}], "existing_by_email": [{"id": 9, "companyname": "B"}]},
            ["no_duplicate"],
        ),
        ({}, ["default_terms_configured"]),
    ],
)
def test_preconditions_on_new_customer(
    contract: Contract,
    values: dict[str, Any],
    rows: dict[str, list[dict[str, Any]]],
    blocking: list[str],
) -> None:
    outcomes = evaluate_preconditions(contract, {**values, **_context(contract, rows)})
    assert [o.name for o in outcomes if o.blocks] == blocking


def test_unknown_terms_block(contract: Contract, values: dict[str, Any]) -> None:
    values["terms"] = "Net 999"
    outcomes = evaluate_preconditions(
        contract, {**values, **_context(contract, {"default_terms": [{"id": 4}]})}
    )
    assert [o.name for o in outcomes if o.blocks] == ["known_terms"]
    assert next(o for o in outcomes if o.name == "known_terms").value is False


def test_warnings_do_not_block(contract: Contract, values: dict[str, Any]) -> None:
    outcomes = evaluate_preconditions(
        contract, {**values, **_context(contract, {"default_terms": [{"id": 4}]})}
    )
    warned = next(o for o in outcomes if o.name == "tier_has_programs")
    assert warned.value is False
    assert not warned.passed
    assert not warned.blocks


def test_bind_takes_exactly_the_statement_parameters(
    contract: Contract, values: dict[str, Any]
) -> None:
    sql = contract.context_query("existing_by_email").sql
    assert bind(sql, values) == {"contact_email_normalized": "jane@acme.example"}
    with pytest.raises(KeyError, match="unbound parameters: customer_id"):
        bind("UPDATE customers SET x = 1 WHERE id = :customer_id", values)


def test_render_netsuite_payload(contract: Contract, values: dict[str, Any]) -> None:
    step = contract.step("write_ns")
    assert isinstance(step, NetSuitePushStep)
    external_id, body = netsuite_payload(step, {**values, "customer_id": 42, "terms_id": 4})
    assert external_id == f"cascade-customer-{RUN_ID}"
    assert isinstance(body, dict)
    assert body["companyName"] == "Acme, Inc."
    assert body["terms"] == {"id": 4}
    assert "creditLimit" not in body  # NULL fields are left out
    assert "phone" not in body
    assert (
        body["addressBook"]["items"][1]["addressBookAddress"]["addr1"] == "1 Main St, Springfield"
    )


def test_render_email_and_references(contract: Contract, values: dict[str, Any]) -> None:
    step = contract.step("welcome_email")
    draft = email_draft(step, values)  # type: ignore[arg-type]
    assert draft["to"] == "Jane@Acme.example"
    assert draft["subject"] == "Welcome aboard, Acme, Inc."
    assert "standard pricing tier" in draft["body"]
    assert entity_ref(contract, values) == f"workflow:new_customer:run_{RUN_ID}"
    assert event_key(contract.post_plan().event, values) == f"new_customer:{RUN_ID}"


def test_ready_steps_follow_needs(contract: Contract) -> None:
    needs = needs_map(contract.fan_out)
    assert ready_steps(needs, done=[]) == ["write_d1"]
    assert ready_steps(needs, done=["write_d1"]) == ["write_ns", "assign_programs"]
    # The welcome email waits for NetSuite to have the customer.
    assert ready_steps(needs, done=["write_d1", "assign_programs"], started=["write_ns"]) == []
    assert ready_steps(needs, done=["write_d1", "write_ns"], started=["assign_programs"]) == [
        "welcome_email"
    ]


@pytest.mark.parametrize(
    ("attempt", "delay_ms"), [(1, 1500), (2, 3000), (3, 6000), (5, 24000), (6, 30000)]
)
def test_retry_backoff(contract: Contract, attempt: int, delay_ms: int) -> None:
    assert contract.retry.delay(attempt) == timedelta(milliseconds=delay_ms)


def test_the_approval_recheck_needs_only_the_queries_block_rules_read(contract: Contract) -> None:
    names = blocking_names(contract)
    assert {"existing_by_name", "existing_by_email", "requested_terms", "default_terms"} <= names
    assert "default_programs" not in names, "tier_has_programs only warns"
    queries = [q.name for q in context_closure(contract, names)]
    assert queries == ["existing_by_name", "existing_by_email", "default_terms", "requested_terms"]


def test_a_rechecked_query_brings_the_queries_it_binds(contract: Contract) -> None:
    text = contract.model_dump(mode="json")
    text["context"].append(
        {
            "name": "same_terms",
            "tables": ["payment_terms"],
            "returns": "scalar",
            "sql": "SELECT id FROM payment_terms WHERE id = :terms_id",
        }
    )
    chained = Contract.model_validate(text)
    assert [q.name for q in context_closure(chained, {"same_terms"})] == ["terms_id", "same_terms"]


def test_failed_blocks_agree_with_the_full_evaluation(
    contract: Contract, values: dict[str, Any]
) -> None:
    for existing in (None, ({"id": 1, "companyname": "Acme"},)):
        scope = {
            **values,
            "existing_by_name": existing,
            "existing_by_email": None,
            "requested_terms": None,
            "default_terms": 1,
            "default_programs": None,
        }
        full = [o.name for o in evaluate_preconditions(contract, scope) if o.blocks]
        assert failed_blocks(contract, scope) == full


def test_the_request_model_is_compiled_once_per_loaded_contract(
    contract: Contract, contracts_dir: Path
) -> None:
    from cascade.shared.contract.inputs import _compiled_model

    first = _compiled_model(contract.workflow_type, contract.inputs, frozenset())
    assert _compiled_model(contract.workflow_type, contract.inputs, frozenset()) is first
    reloaded = load_contract(contracts_dir / "new_customer.yaml")
    assert _compiled_model(reloaded.workflow_type, reloaded.inputs, frozenset()) is not first
