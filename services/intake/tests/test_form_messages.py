"""The sales form's plain-language messages, amounts with grouping commas and input types
(pure: the repo's real contract, no IO)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cascade.shared.contract import load_contracts
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.form_values import (
    BAD_GROUPING,
    amounts_ungrouped,
    input_attributes,
    ungrouped,
)
from cascade.shared.run_requests.messages import PHONE

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
VALID = {"company_name": "Acme", "contact_email": "a@acme.example", "billing_address": "1 Main"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12,000.50", "12000.50"), ("1,234,567", "1234567"), ("12000.50", "12000.50"),
     ("-1,000", "-1000"), ("12,00.5", None), ("1,2345", None), (",100", None),
     ("12,000,50", None), ("1,000.", None)],
)  # fmt: skip
def test_only_well_formed_grouping_commas_are_taken_out(value: str, expected: str | None) -> None:
    assert ungrouped(value) == expected


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"contact_phone": "12"}, PHONE),
        ({"contact_phone": "call me maybe"}, PHONE),
        ({"company_name": ""}, "Enter the company name."),
        ({"credit_limit": "lots"}, "Enter an amount in digits with an optional decimal point"),
        ({"credit_limit": "1.234"}, "Use at most 2 decimal places."),
        ({"credit_limit": "-5"}, "Enter 0 or more."),
        ({"credit_limit": "2000000"}, "Enter 1,000,000 or less."),
        ({"pricing_tier": "diamond"}, "Choose one of: standard, silver, gold, platinum."),
        ({"company_name": "x" * 201}, "Use at most 200 characters (this has 201)."),
        ({"contact_email": "a@x.example, b@y"}, "Must be exactly one email address"),
    ],
)
def test_messages_say_what_to_write(inputs: dict[str, str], message: str) -> None:
    validate = contract_input_validator(CONTRACTS)
    [error] = validate("new_customer", {**VALID, **inputs})
    assert error.message.startswith(message), error
    assert "pattern" not in error.message
    assert "should" not in error.message


def test_the_form_ungroups_amounts_and_explains_bad_commas() -> None:
    contract = CONTRACTS["new_customer"]
    inputs, problems = amounts_ungrouped(contract, {**VALID, "credit_limit": "12,000.50"})
    assert (inputs["credit_limit"], problems) == ("12000.50", [])
    assert contract_input_validator(CONTRACTS)("new_customer", inputs) == []
    inputs, [problem] = amounts_ungrouped(contract, {**VALID, "credit_limit": "12,00.50"})
    assert "credit_limit" not in inputs
    assert (problem.field, problem.message) == ("inputs.credit_limit", BAD_GROUPING)
    # The company name is no amount: its comma stays.
    assert amounts_ungrouped(contract, {"company_name": "Acme, Inc."})[0] == {
        "company_name": "Acme, Inc."
    }


def test_inputs_get_the_right_type_and_keyboard() -> None:
    specs = {spec.name: spec for spec in CONTRACTS["new_customer"].inputs}
    assert input_attributes(specs["contact_email"])["type"] == "email"
    assert input_attributes(specs["contact_phone"])["type"] == "tel"
    assert input_attributes(specs["credit_limit"])["inputmode"] == "decimal"
    assert input_attributes(specs["company_name"]) == {"type": "text"}
