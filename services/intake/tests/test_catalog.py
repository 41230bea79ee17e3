"""Unit tests of intake's contract-based input validation: the repo's real contracts, no IO."""

from __future__ import annotations

from pathlib import Path

import pytest

from cascade.shared.contract import load_contracts
from cascade.shared.run_requests.catalog import contract_input_validator, recipient_inputs

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
VALID = {
    "company_name": "Acme, Inc.",
    "contact_email": "ops@acme.example",
    "billing_address": "1 Main St, Springfield",
}


@pytest.fixture(scope="module")
def validate():  # type: ignore[no-untyped-def]
    return contract_input_validator(load_contracts(CONTRACTS))


def test_valid_new_customer_inputs_pass(validate) -> None:  # type: ignore[no-untyped-def]
    assert validate("new_customer", VALID) == []


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({k: v for k, v in VALID.items() if k != "company_name"}, "inputs.company_name"),
        ({**VALID, "credit_limit": "lots"}, "inputs.credit_limit"),
        ({**VALID, "pricing_tier": "diamond"}, "inputs.pricing_tier"),
        ({**VALID, "company_name": "x" * 10_001}, "inputs.company_name"),
        ({**VALID, "favourite_colour": "blue"}, "inputs.favourite_colour"),
        ({**VALID, "company_name": 42}, "inputs.company_name"),
    ],
)
def test_bad_inputs_name_the_field(validate, inputs, field) -> None:  # type: ignore[no-untyped-def]
    errors = validate("new_customer", inputs)
    assert [e.field for e in errors] == [field]


def test_unknown_workflow_type_lists_the_known_ones(validate) -> None:  # type: ignore[no-untyped-def]
    [error] = validate("old_customer", VALID)
    assert error.field == "workflow_type"
    assert "new_customer" in error.message


def test_the_welcome_emails_recipient_is_one_address() -> None:
    contracts = load_contracts(CONTRACTS)
    assert recipient_inputs(contracts["new_customer"]) == {"contact_email"}


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({**VALID, "company_name": "Acme\r\nBcc: x@evil.example"}, "inputs.company_name"),
        ({**VALID, "company_name": "Acme\u2029Corp"}, "inputs.company_name"),
        ({**VALID, "sales_rep": "Jo\x00"}, "inputs.sales_rep"),
        ({**VALID, "contact_email": "a@x.example, attacker@evil"}, "inputs.contact_email"),
        ({**VALID, "contact_email": "a@x.example\nBcc: b@evil"}, "inputs.contact_email"),
        ({**VALID, "billing_address": "1 Main St\x1b[2J"}, "inputs.billing_address"),
    ],
)
def test_control_characters_and_address_lists_are_refused(  # type: ignore[no-untyped-def]
    validate, inputs, field
) -> None:
    assert [e.field for e in validate("new_customer", inputs)] == [field]


def test_odd_single_addresses_and_multi_line_addresses_pass(validate) -> None:  # type: ignore[no-untyped-def]
    assert validate("new_customer", {**VALID, "contact_email": "ops.example"}) == []
    assert validate("new_customer", {**VALID, "billing_address": "1 Main St\r\nApt 4"}) == []
