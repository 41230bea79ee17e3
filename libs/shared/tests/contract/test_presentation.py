"""The presentation section, each step's `says`, derived templates: checked at load with clear
errors; display formatting and the rendered subject of a run (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.contract import (
    MISSING,
    Contract,
    business_changes,
    display_value,
    display_values,
    load_contract,
    pending_outputs,
    prepare_values,
    rendered_plumbing,
    run_subject,
    runtime_values,
)

from .conftest import ErrorsOf, Parse

Doc = dict[str, Any]
RUN_ID = "0b6f4c52-2f7e-4a55-9d0c-6f3a3d1c2b10"
PRESENTATION: Doc = {
    "title": "{{ name }}",
    "summary": [{"label": "Email", "value": "{{ email }}"}],
    "sentence": "Create {{ name }}; {{ existing }} already there",
    "twin_keys": ["name", "email"],
}


@pytest.fixture
def presented(minimal: Doc) -> Doc:
    minimal["presentation"] = dict(PRESENTATION)
    return minimal


def test_a_presentation_loads(presented: Doc, parse: Parse) -> None:
    contract = parse(presented)
    assert contract.presentation is not None
    assert contract.presentation.twin_keys == ["name", "email"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"title": "{{ nme }}"},
            "presentation.title: template name 'nme' is not bound; expected an input, a derived "
            "value, a context result or a runtime value",
        ),
        (
            {"summary": [{"label": "Id", "value": "{{ customer_id }}"}]},
            "presentation.summary[0].value: template name 'customer_id' is not bound",
        ),
        (
            {"summary": [{"label": "A", "value": "{{ name }}"}, {"label": "A", "value": "x"}]},
            "presentation.summary[1]: duplicate value 'A'",
        ),
        (
            {"sentence": "Create {{ name | upper }}"},
            "presentation.sentence: unsupported placeholder '{{ name | upper }}'",
        ),
        (
            {"twin_keys": ["existing"]},
            "presentation.twin_keys[0]: 'existing' is not bound; expected the name of an input, "
            "a derived value, a scalar context result or a runtime value",
        ),
        (
            {"twin_keys": ["name", "name"]},
            "presentation.twin_keys[1]: duplicate value 'name'",
        ),
        ({"colour": "blue"}, "presentation.colour: unexpected field 'colour'"),
        ({"title": None}, "presentation.title: expected a valid string"),
    ],
    ids=[
        "unbound title",
        "step output in summary",
        "duplicate label",
        "filter in sentence",
        "rows as twin key",
        "duplicate twin key",
        "unknown field",
        "no title",
    ],
)
def test_a_broken_presentation_says_where_and_what(
    presented: Doc, errors_of: ErrorsOf, change: Doc, expected: str
) -> None:
    presented["presentation"] |= change
    errors = errors_of(presented)
    assert any(expected in error for error in errors), errors


def test_says_may_name_outputs_of_needed_steps_only(
    minimal: Doc, parse: Parse, errors_of: ErrorsOf
) -> None:
    minimal["fan_out"][1]["says"] = "Update customer {{ customer_id }} of {{ existing }}"
    parse(minimal)
    minimal["fan_out"][2]["says"] = "Mail customer {{ customer_id }}"
    [error] = errors_of(minimal)
    assert error.endswith(
        "fan_out[2].says: template name 'customer_id' is an output of step 'first', which "
        "step 'third' does not need; expected 'first' in needs"
    )


def test_precondition_downstream_is_text(minimal: Doc, parse: Parse) -> None:
    minimal["preconditions"][0]["downstream"] = "NetSuite refuses it."
    assert parse(minimal).preconditions[0].downstream == "NetSuite refuses it."


@pytest.mark.parametrize(
    ("derived", "expected"),
    [
        (
            {"name": "ref", "template": "x-{{ customer_id }}"},
            "derived[0].template: template name 'customer_id' is not bound; expected an input, "
            "an earlier derived value or a runtime value",
        ),
        (
            {"name": "ref", "template": "x-{{ name }}", "function": "coalesce", "args": ["name"]},
            "derived[0]: expected either function (with args) or template, not both",
        ),
        ({"name": "ref", "function": "coalesce"}, "derived[0]: coalesce needs args"),
    ],
    ids=["unbound name", "both", "function without args"],
)
def test_a_broken_derived_value(
    minimal: Doc, errors_of: ErrorsOf, derived: Doc, expected: str
) -> None:
    minimal["derived"] = [derived]
    errors = errors_of(minimal)
    assert any(expected in error for error in errors), errors


def test_a_derived_template_sees_runtime_values(minimal: Doc, parse: Parse) -> None:
    minimal["derived"] = [{"name": "ref", "template": "demo-{{ name }}-{{ run_id }}"}]
    contract = parse(minimal)
    runtime = runtime_values(RUN_ID, "demo", datetime(2026, 1, 1, tzinfo=UTC))
    values = prepare_values(contract, {"name": "Acme"}, runtime)
    assert values["ref"] == f"demo-Acme-{RUN_ID}"
    assert values["run_id"] == RUN_ID


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, MISSING),
        (Decimal("50000"), "50,000.00"),
        (Decimal("2500.1"), "2,500.10"),
        (Decimal("12.5000"), "12.5000"),
        (Decimal("-1234567.891"), "-1,234,567.891"),
        ([{"id": 1, "name": "Welcome kit"}, {"id": 2, "name": "Loyalty points"}], None),
        ((), MISSING),
        ({"id": 7, "companyname": "ACME Inc"}, "ACME Inc"),
        ({"unit_price": "9.50", "effective_date": "2026-01-01"}, "9.50"),
        (True, "yes"),
        (date(2026, 12, 1), "2026-12-01"),
        (datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "2026-12-01 09:30 UTC"),
        ("  ", MISSING),
        ("gold", "gold"),
        (42, "42"),
    ],
)
def test_display_value_by_type(value: object, shown: str | None) -> None:
    assert display_value(value) == (shown or "Welcome kit, Loyalty points")


@pytest.fixture
def new_customer(contracts_dir: Path) -> Contract:
    return load_contract(contracts_dir / "new_customer.yaml")


def new_customer_scope(contract: Contract, **inputs: object) -> dict[str, object]:
    request = {
        "company_name": "Acme Corp",
        "contact_email": "orders@acme.example",
        "billing_address": "1 Main St",
        "credit_limit": "50000",
        "pricing_tier": "gold",
        **inputs,
    }
    runtime = runtime_values(RUN_ID, "new_customer", datetime(2026, 12, 1, tzinfo=UTC))
    context = {
        "existing_by_name": [],
        "existing_by_email": [],
        "default_terms": 3,
        "requested_terms": None,
        "terms_id": 3,
        "terms_name": "Net 30",
        "default_programs": [{"id": 1, "name": "Welcome kit"}, {"id": 2, "name": "Loyalty points"}],
    }
    return prepare_values(contract, request, runtime) | context


def test_display_values_shows_decimal_inputs_stored_as_text(new_customer: Contract) -> None:
    shown = display_values(new_customer, {"credit_limit": "12000.5", "terms": None})
    assert shown == {"credit_limit": "12,000.50", "terms": MISSING}


def test_the_subject_of_a_new_customer(new_customer: Contract) -> None:
    subject = run_subject(new_customer, new_customer_scope(new_customer))
    assert subject.title == "Acme Corp"
    assert subject.summary == [
        {"label": "Email", "value": "orders@acme.example"},
        {"label": "Tier", "value": "gold"},
        {"label": "Credit limit", "value": "50,000.00"},
        {"label": "Terms", "value": "Net 30"},
        {"label": "Sales rep", "value": MISSING},
    ]
    assert subject.sentence == (
        "Create Acme Corp in the mirror and in NetSuite — gold tier, Net 30, credit 50,000.00; "
        "assign Welcome kit, Loyalty points; draft a welcome email to orders@acme.example"
    )
    assert subject.twin_keys == ["acme", "orders@acme.example"]
    assert subject.search_text == "acme corp orders@acme.example gold 50,000.00 net 30"


def test_a_subject_from_partial_values_shows_dashes_and_falls_back(
    new_customer: Contract,
) -> None:
    # A run whose inputs failed has only its raw inputs: no derived values, no context.
    subject = run_subject(new_customer, {"company_name": "Acme Corp", "credit_limit": "lots"})
    assert subject.title == "Acme Corp"
    assert {"label": "Terms", "value": MISSING} in subject.summary
    assert {"label": "Credit limit", "value": "lots"} in subject.summary
    assert subject.twin_keys == []
    assert run_subject(new_customer, {}).title == "New customer onboard"


def test_a_contract_without_presentation_is_titled_by_its_title(minimal: Doc, parse: Parse) -> None:
    subject = run_subject(parse(minimal), {"name": "Acme"})
    assert (subject.title, subject.summary, subject.twin_keys) == ("Demo", [], [])


def test_business_changes_render_every_template(new_customer: Contract) -> None:
    scope = {**pending_outputs(new_customer), **new_customer_scope(new_customer)}
    shown = display_values(new_customer, scope)
    changes = business_changes(new_customer, shown)
    assert [(c["step"], c["system"], c["resource"]) for c in changes] == [
        ("write_d1", "Mirror", "customers"),
        ("write_ns", "NetSuite", "customer"),
        ("assign_programs", "Mirror", "customer_programs"),
        ("welcome_email", "Email", "draft for your approval"),
        ("first_quote_context", "Object store", "first_quote_context v1"),
    ]
    assert changes[4]["says"] == (
        "Store the first-quote context of Acme Corp (the gold price list, terms and programs) "
        "for quoting"
    )
    assert changes[2]["says"] == "Assign Welcome kit, Loyalty points to Acme Corp"
    plumbing = rendered_plumbing(new_customer, shown)
    assert "{{" not in str(changes) + str(plumbing)
    assert any(f"cascade-customer-{RUN_ID}" in row["action"] for row in plumbing)
    key = f"customers/cascade-customer-{RUN_ID}/first-quote-context/v1.json"
    assert any(row["resource"] == key for row in plumbing)


def test_values_only_a_step_makes_are_marked(new_customer: Contract) -> None:
    markers = pending_outputs(new_customer)
    assert markers["customer_id"] == "(set when step write_d1 has run)"
    assert markers["netsuite_id"] == "(set when step write_ns has run)"
