"""Unit tests of intake's contract-based input validation: the repo's real contracts, no IO."""

from __future__ import annotations

from pathlib import Path

import pytest

from cascade.intake.catalog import contract_input_validator
from cascade.shared.contract import load_contracts

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
