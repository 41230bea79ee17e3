"""The repository's contracts validate, and `show --format json` carries every element of the
seed page (new_customer) plus what the seed left unknown."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.contract import NetSuitePushStep, load_contract, load_contracts
from cascade.shared.contract.cli import main
from cascade.shared.contract.scopes import Scopes
from cascade.shared.contract.templates import tree_names

SEED_INPUTS = [
    ("company_name", True),
    ("contact_email", True),
    ("contact_phone", False),
    ("billing_address", True),
    ("shipping_address", False),
    ("credit_limit", False),
    ("terms", False),
    ("sales_rep", False),
    ("pricing_tier", False),
]


@pytest.fixture
def shown(contracts_dir: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    status = main(
        [
            "contract",
            "show",
            "new_customer",
            "--format",
            "json",
            "--contracts-dir",
            str(contracts_dir),
        ]
    )
    assert status == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def by(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_every_repo_contract_validates(
    contracts_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = sorted(str(p) for p in contracts_dir.glob("*.yaml"))
    assert len(paths) >= 2
    assert main(["contract", "validate", *paths]) == 0
    out = capsys.readouterr().out
    assert "new_customer.yaml: ok (new_customer, 5 steps)" in out
    assert "price_changed.yaml: ok (price_changed, 1 step)" in out


def test_load_contracts_reads_the_whole_folder(contracts_dir: Path) -> None:
    assert {"new_customer", "price_changed"} <= set(load_contracts(contracts_dir))


def test_header(shown: dict[str, Any]) -> None:
    contract = shown["contract"]
    assert contract["workflow_type"] == "new_customer"
    assert contract["version"] == 2
    assert contract["title"] == "New customer onboard"
    assert contract["risk_level"] == 3
    assert shown["risk_label"] == "medium"
    assert contract["reflexion_enabled"] is True
    assert contract["category"] == "Customer ops"
    assert contract["owner"]
    assert "welcome email" in contract["description"]


def test_trigger(shown: dict[str, Any]) -> None:
    trigger = shown["contract"]["trigger"]
    assert trigger["kind"] == "manual"
    assert trigger["sources"] == ["sales_intake_form"]
    assert "mike" in trigger["invoker"]


def test_inputs_with_their_required_flags(shown: dict[str, Any]) -> None:
    inputs = shown["contract"]["inputs"]
    assert [(i["name"], i["required"]) for i in inputs] == SEED_INPUTS
    types = {i["name"]: i["type"] for i in inputs}
    # a string, so the seed's warn rule valid_email (not a 422) judges odd addresses
    assert types["contact_email"] == "string"
    assert types["credit_limit"] == "decimal"
    assert types["pricing_tier"] == "enum"
    assert all(i.get("max_length") for i in inputs if i["type"] in ("string", "text"))


def test_context_queries(shown: dict[str, Any]) -> None:
    context = by(shown["contract"]["context"], "name")
    assert context["existing_by_name"]["tables"] == ["customers"]
    assert ":company_name_normalized" in context["existing_by_name"]["sql"]
    assert context["existing_by_email"]["tables"] == ["customers"]
    assert "LOWER(email)" in context["existing_by_email"]["sql"]
    assert context["default_terms"]["tables"] == ["payment_terms"]
    assert "'Net 30'" in context["default_terms"]["sql"]
    assert context["default_terms"]["returns"] == "scalar"
    assert set(context["default_programs"]["tables"]) == {"programs", "pricing_tier_programs"}


def test_preconditions(shown: dict[str, Any]) -> None:
    rules = by(shown["contract"]["preconditions"], "name")
    assert rules["no_duplicate"]["rule"] == "existing_by_name IS NULL AND existing_by_email IS NULL"
    assert rules["no_duplicate"]["severity"] == "block"
    # The same test as NetSuite's (tools/netsuite-sim validation.py), so the warning says
    # what will happen downstream.
    assert rules["valid_email"]["rule"] == "contact_email LIKE '%_@_%._%'"
    assert rules["valid_email"]["severity"] == "warn"
    assert "400 INVALID_CONTENT" in rules["valid_email"]["downstream"]
    assert rules["valid_email"]["message"]


def test_hitl_gate(shown: dict[str, Any]) -> None:
    hitl = shown["contract"]["hitl"]
    assert hitl["action_type"] == "workflow_new_customer"
    assert hitl["entity_ref"] == "workflow:new_customer:run_{{ run_id }}"
    assert hitl["approver"] == "mike"
    assert hitl["risk_gate"] == 3
    assert hitl["approval_window"] == "1h"  # written 60m: "typical <= 60 min"
    assert hitl["expires_after"]
    assert shown["requires_approval"] is True


def test_fan_out_steps(shown: dict[str, Any]) -> None:
    steps = by(shown["contract"]["fan_out"], "id")
    assert list(steps) == [
        "write_d1",
        "write_ns",
        "assign_programs",
        "welcome_email",
        "first_quote_context",
    ]
    assert steps["write_d1"]["kind"] == "db_write"
    assert "INSERT INTO customers" in steps["write_d1"]["statements"][0]["sql"]
    assert steps["write_ns"]["kind"] == "netsuite_push"
    assert steps["write_ns"]["record_type"] == "customer"
    assert steps["write_ns"]["queue"] == "ns.push"
    assert steps["assign_programs"]["kind"] == "db_write"
    assert "INSERT INTO customer_programs" in steps["assign_programs"]["statements"][0]["sql"]
    assert steps["welcome_email"]["kind"] == "email_draft"
    assert steps["welcome_email"]["tool"] == "propose_email_to_customer"
    bundle = steps["first_quote_context"]
    assert bundle["kind"] == "object_put"
    assert bundle["key"] == "customers/{{ customer_external_id }}/first-quote-context/v1.json"
    assert bundle["schema_version"] == 1
    assert set(bundle["needs"]) == {"write_ns", "assign_programs"}


def test_columns_and_fields_the_seed_left_unknown(shown: dict[str, Any]) -> None:
    steps = by(shown["contract"]["fan_out"], "id")
    insert = steps["write_d1"]["statements"][0]["sql"]
    for column in (
        "companyname", "companyname_normalized", "email", "phone", "billing_address",
        "shipping_address", "credit_limit", "terms_id", "pricing_tier", "sales_rep",
        "external_id", "netsuite_id", "lastmodifieddate", "created_at",
    ):  # fmt: skip
        assert column in insert
    assert "customer_id, program_id" in steps["assign_programs"]["statements"][0]["sql"]
    fields = steps["write_ns"]["fields"]
    for field in (
        "companyName",
        "email",
        "phone",
        "creditLimit",
        "terms",
        "externalId",
        "addressBook",
    ):
        assert field in fields
    assert "{{ company_name }}" in steps["welcome_email"]["subject"]
    assert "{{ company_name }}" in steps["welcome_email"]["body"]


def test_post_actions(shown: dict[str, Any]) -> None:
    plan = shown["post_plan"]
    assert plan["log_run"]["table"] == "workflow_run_log"
    assert plan["reflexion"]["tags"] == ["new_customer"]
    assert plan["event"]["topics"] == ["workflow.completed", "workflow.partial", "workflow.failed"]
    assert "{{ run_id }}" in plan["event"]["idempotency_key"]
    assert plan["declared"] == ["event", "log_run", "reflexion"]


def test_verify_checks(shown: dict[str, Any]) -> None:
    checks = by(shown["contract"]["verify"], "name")
    assert checks["customer_persisted"]["window"] == "5s"
    assert "FROM customers" in checks["customer_persisted"]["sql"]
    assert checks["ns_customer_reflects"]["window"] == "15m"
    assert "lastmodifieddate >" in checks["ns_customer_reflects"]["sql"]
    assert checks["ns_customer_matches"]["kind"] == "http"
    assert checks["ns_customer_matches"]["path"].endswith("eid:{{ customer_external_id }}")
    assert checks["first_quote_context_stored"]["kind"] == "object"
    assert checks["first_quote_context_stored"]["schema_version"] == 1
    assert {c["kind"] for c in checks.values()} == {"sql", "http", "object"}
    assert all(c["retry_until"] == "1h" for c in checks.values())


def test_retry_policy(shown: dict[str, Any]) -> None:
    assert shown["contract"]["retry"] == {
        "max_attempts": 3,
        "backoff": "exponential",
        "base_ms": 1500,
        "max_ms": 30000,
        "alert_on_final_failure": True,
    }


def test_what_changes(shown: dict[str, Any]) -> None:
    rows = {(c["system"], c["resource"], c["action"].split(" (")[0]) for c in shown["what_changes"]}
    assert {
        ("PostgreSQL", "workflow_run_log", "INSERT"),
        ("PostgreSQL", "reflexion_log", "INSERT"),
        ("Kafka", "workflow.completed | workflow.partial | workflow.failed", "publish one per run"),
        ("PostgreSQL", "workflow_verify_results", "INSERT pending × 4"),
        ("PostgreSQL", "object_puts", "INSERT"),
        ("PostgreSQL", "proposed_actions", "INSERT"),
        ("PostgreSQL", "customers", "INSERT"),
        ("NetSuite (via ns.push)", "customer", "upsert by external id {{ customer_external_id }}"),
        ("PostgreSQL", "customer_programs", "INSERT"),
    } <= rows


def test_show_text(contracts_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "new_customer", "--contracts-dir", str(contracts_dir)]) == 0
    text = capsys.readouterr().out
    for heading in ("1 · Trigger", "6 · Fan-out", "10 · What changes when this workflow runs"):
        assert heading in text
    assert "[block] no_duplicate: existing_by_name IS NULL AND existing_by_email IS NULL" in text


def test_price_changed_is_below_the_gate(contracts_dir: Path) -> None:
    contract = load_contract(contracts_dir / "price_changed.yaml")
    assert contract.trigger.kind == "event"
    assert contract.trigger.sources == ["price.changed"]
    assert contract.risk_level == 2
    assert contract.hitl is None
    assert not contract.requires_approval
    assert [step.kind for step in contract.fan_out] == ["db_write"]
    assert contract.post_plan().event.topics() == ["workflow.completed", "workflow.failed"]


def test_presentation_and_business_rows(shown: dict[str, Any]) -> None:
    presentation = shown["contract"]["presentation"]
    assert presentation["title"] == "{{ company_name }}"
    labels = [part["label"] for part in presentation["summary"]]
    assert labels == ["Email", "Tier", "Credit limit", "Terms", "Sales rep"]
    assert presentation["twin_keys"] == ["company_name_normalized", "contact_email_normalized"]
    steps = by(shown["contract"]["fan_out"], "id")
    assert all(step["says"] for step in steps.values())
    # The welcome email waits for NetSuite to have the customer.
    assert steps["welcome_email"]["needs"] == ["write_ns"]


def test_the_netsuite_body_needs_nothing_written_first(contracts_dir: Path) -> None:
    # The body Mike approves is exact: every name in it is known before approval.
    contract = load_contract(contracts_dir / "new_customer.yaml")
    step = contract.step("write_ns")
    assert isinstance(step, NetSuitePushStep)
    scopes = Scopes.of(contract)
    known = scopes.before_context | scopes.scalars
    assert tree_names(dict(step.fields)) | tree_names(step.external_id) <= known


def test_price_changed_has_a_presentation(contracts_dir: Path) -> None:
    contract = load_contract(contracts_dir / "price_changed.yaml")
    assert contract.presentation is not None
    assert "{{ item_id }}" in contract.presentation.title
