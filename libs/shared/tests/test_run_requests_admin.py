"""The Execute form's pure parts: which contracts it may start, its key and the run the key
names, and that a form's values are read and checked like the sales form's."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cascade.shared.contract import Trigger, load_contracts
from cascade.shared.run_requests.admin import (
    admin_key,
    admin_run_id,
    parse_form_key,
    started_by_admin,
)
from cascade.shared.run_requests.catalog import contract_input_validator
from cascade.shared.run_requests.form_values import (
    BAD_GROUPING,
    errors_in_field_order,
    field_messages,
    filled,
    form_request,
)
from cascade.shared.run_requests.validation import RunRequest

CONTRACTS = load_contracts(Path(__file__).resolve().parents[3] / "contracts")
VALIDATE = contract_input_validator(CONTRACTS)


@pytest.mark.parametrize(
    ("kind", "declared", "expected"),
    [("manual", None, True), ("event", None, False), ("cron", None, False),
     ("manual", False, False), ("cron", True, True), ("event", True, True)],
)  # fmt: skip
def test_the_trigger_decides_unless_the_contract_says(
    kind: str, declared: bool | None, expected: bool
) -> None:
    extra: dict[str, object] = {"schedule": "0 8 * * 1-5"} if kind == "cron" else {}
    sources = ["price.changed"] if kind == "event" else ["somewhere"]
    trigger = Trigger.model_validate(
        {"kind": kind, "sources": sources, "invoker": "x", "admin_execute": declared, **extra}
    )
    assert trigger.admin_executable is expected


def test_the_repositorys_contracts() -> None:
    startable = sorted(n for n, c in CONTRACTS.items() if c.trigger.admin_executable)
    assert startable == ["new_customer", "stale_proposals_digest"]  # price_changed: events only


def test_a_form_key_names_one_run_and_only_the_pages_keys_pass() -> None:
    key = uuid.uuid4()
    assert parse_form_key(str(key)) == key
    assert admin_key(key) == f"admin:{key}"
    assert admin_run_id(admin_key(key)) == admin_run_id(admin_key(key))
    assert admin_run_id(admin_key(key)) != admin_run_id(admin_key(uuid.uuid4()))
    for bad in (None, "", "event:x", str(key).upper(), str(uuid.uuid1()), f"{key} ", "x" * 36):
        assert parse_form_key(bad) is None, bad
    assert started_by_admin("mike") == "admin:mike"


def test_form_values_are_read_like_the_sales_form() -> None:
    contract = CONTRACTS["new_customer"]
    fields = {
        "csrf_token": "t", "form_key": "k", "company_name": "  Acme  ", "shipping_address": " ",
        "contact_email": "a@acme.example", "billing_address": "1 Main", "credit_limit": "12,000.50",
    }  # fmt: skip
    values = filled(fields, contract)
    assert values == {
        "company_name": "Acme", "contact_email": "a@acme.example", "billing_address": "1 Main",
        "credit_limit": "12,000.50",
    }  # fmt: skip
    checked = form_request(contract, values, "approvals_execute_form", VALIDATE)
    assert isinstance(checked, RunRequest)
    assert checked.inputs["credit_limit"] == "12000.50"
    assert checked.source == "approvals_execute_form"


def test_every_problem_is_named_in_the_order_of_the_form() -> None:
    contract = CONTRACTS["new_customer"]
    values = {"contact_email": "a@x, b@evil.example", "credit_limit": "12,00.50"}
    problems = form_request(contract, values, "approvals_execute_form", VALIDATE)
    assert isinstance(problems, list)
    shown = errors_in_field_order(contract, field_messages(problems))
    order = [spec.name for spec in contract.inputs]
    assert list(shown) == sorted(shown, key=order.index)
    assert shown["credit_limit"] == BAD_GROUPING
    assert shown["company_name"] == "Enter the company name."
    assert "contact_email" in shown
