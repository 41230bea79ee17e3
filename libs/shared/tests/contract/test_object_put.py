"""The `object_put` step and the `object` check: validation errors, key, document, hash."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.canonical import canonical_json
from cascade.shared.contract import (
    Contract,
    ObjectKeyError,
    ObjectPutStep,
    load_contract,
    object_document,
    object_key,
)
from cascade.shared.objectstore import object_body

from .conftest import ErrorsOf, Parse

RUN_ID = "4f9a2c1e-0000-4000-8000-000000000001"
STARTED = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def bundle_step(**overrides: Any) -> dict[str, Any]:
    step: dict[str, Any] = {
        "id": "bundle",
        "kind": "object_put",
        "needs": ["first"],
        "key": "customers/{{ name }}/bundle/v1.json",
        "document_type": "demo_bundle",
        "schema_version": 1,
        "queries": [
            {
                "name": "bundle_row",
                "tables": ["customers"],
                "returns": "one",
                "sql": "SELECT id, companyname FROM customers WHERE id = :customer_id",
            }
        ],
        "document": {"customer": "{{ bundle_row }}", "as_of": "{{ run_started_at }}"},
    }
    return {**step, **overrides}


def with_bundle(minimal: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    minimal["fan_out"].append(bundle_step(**overrides))
    return minimal


def test_a_valid_object_put_step_has_its_key_and_hash_as_outputs(
    minimal: dict[str, Any], parse: Parse
) -> None:
    contract = parse(with_bundle(minimal))
    step = contract.step("bundle")
    assert isinstance(step, ObjectPutStep)
    assert step.outputs() == {"bundle_key", "bundle_sha256"}
    named = parse(with_bundle(minimal, id="b2", key_output="k", sha256_output="h"))
    assert named.step("b2").outputs() == {"k", "h"}


def test_the_document_may_not_set_what_the_step_sets(
    minimal: dict[str, Any], errors_of: ErrorsOf
) -> None:
    errors = errors_of(with_bundle(minimal, document={"schema_version": 2, "x": "1"}))
    assert any("document must not set schema_version" in e for e in errors), errors


@pytest.mark.parametrize(
    "key", ["/customers/x.json", "customers//x.json", "customers/../x.json", "a\\b.json"]
)
def test_a_key_must_be_a_safe_relative_path(
    minimal: dict[str, Any], errors_of: ErrorsOf, key: str
) -> None:
    errors = errors_of(with_bundle(minimal, key=key))
    assert any("fan_out[3]" in e and "key" in e for e in errors), errors


def test_a_query_that_writes_is_refused(minimal: dict[str, Any], errors_of: ErrorsOf) -> None:
    query = {
        "name": "q",
        "tables": ["customers"],
        "returns": "many",
        "sql": "DELETE FROM customers",
    }
    errors = errors_of(with_bundle(minimal, queries=[query], document={"q": "{{ q }}"}))
    assert any("fan_out[3].queries[0].sql" in e for e in errors), errors


def test_the_document_may_only_name_bound_values_and_its_queries(
    minimal: dict[str, Any], errors_of: ErrorsOf
) -> None:
    errors = errors_of(with_bundle(minimal, document={"x": "{{ nowhere }}"}))
    assert any("'nowhere'" in e for e in errors), errors


def test_a_query_name_may_not_hide_a_run_value(
    minimal: dict[str, Any], errors_of: ErrorsOf
) -> None:
    query = {"name": "name", "tables": ["customers"], "returns": "scalar", "sql": "SELECT 1"}
    errors = errors_of(with_bundle(minimal, queries=[query], document={"x": "{{ name }}"}))
    assert any("already a name of the run" in e for e in errors), errors


def test_an_object_check_names_only_bound_values(
    minimal: dict[str, Any], parse: Parse, errors_of: ErrorsOf
) -> None:
    check = {
        "name": "stored",
        "kind": "object",
        "window": "5s",
        "key": "{{ bundle_key }}",
        "sha256": "{{ bundle_sha256 }}",
        "schema_version": 1,
    }
    minimal = with_bundle(minimal)
    minimal["verify"].append(check)
    assert parse(minimal).verify[-1].kind == "object"
    minimal["verify"][-1] = {**check, "sha256": "{{ unknown_hash }}"}
    errors = errors_of(minimal)
    assert any("verify[1].sha256" in e and "unknown_hash" in e for e in errors), errors


@pytest.fixture
def new_customer(contracts_dir: Path) -> Contract:
    return load_contract(contracts_dir / "new_customer.yaml")


def bundle_values() -> dict[str, object]:
    return {
        "run_id": RUN_ID,
        "run_started_at": STARTED,
        "customer_external_id": f"cascade-customer-{RUN_ID}",
        "netsuite_id": "1042",
        "pricing_tier": "gold",
    }


def bundle_rows() -> dict[str, object]:
    return {
        "bundle_customer": {"id": 7, "companyname": "Acme", "credit_limit": Decimal("50000.00")},
        "bundle_terms": {"id": 3, "name": "Net 30", "days": 30, "netsuite_id": None},
        "bundle_tier": {"code": "gold", "name": "Gold"},
        "bundle_price_list": (
            {"item_id": "W-1", "unit_price": Decimal("9.5000"), "effective_date": date(2026, 1, 1)},
        ),
        "bundle_programs": (),
    }


def test_the_first_quote_bundle_is_assembled_from_the_run_and_its_queries(
    new_customer: Contract,
) -> None:
    step = new_customer.step("first_quote_context")
    assert isinstance(step, ObjectPutStep)
    document = object_document(step, bundle_values(), bundle_rows())
    assert document["document_type"] == "first_quote_context"
    assert document["schema_version"] == 1
    assert document["netsuite_internal_id"] == "1042"
    assert document["as_of"] == STARTED, "the run's recorded start, not an attempt's clock"
    assert document["customer"] == bundle_rows()["bundle_customer"]
    assert document["programs"] == (), "an empty list stays in the document"
    # NULLs are kept: every version-1 document has the same keys.
    assert document["terms"] == {"id": 3, "name": "Net 30", "days": 30, "netsuite_id": None}
    assert object_key(step, bundle_values()) == (
        f"customers/cascade-customer-{RUN_ID}/first-quote-context/v1.json"
    )


def test_the_bundle_bytes_and_hash_are_the_same_on_every_attempt(
    new_customer: Contract,
) -> None:
    step = new_customer.step("first_quote_context")
    assert isinstance(step, ObjectPutStep)
    first = object_body(object_document(step, bundle_values(), bundle_rows()))
    again = object_body(
        object_document(step, dict(reversed(bundle_values().items())), bundle_rows())
    )
    assert first == again
    assert first.sha256 == hashlib.sha256(first.data).hexdigest()
    parsed = json.loads(first.data)
    assert first.data == canonical_json(parsed).encode()
    assert parsed["price_list"][0]["unit_price"] == "9.5000", "exact digits, as text"
    assert parsed["as_of"] == "2026-12-01T09:30:00+00:00"
    changed = {**bundle_rows(), "bundle_programs": ({"id": 1, "code": "WK", "name": "Kit"},)}
    assert object_body(object_document(step, bundle_values(), changed)).sha256 != first.sha256


@pytest.mark.parametrize("external_id", ["a/b", "..", ""])
def test_a_value_cannot_bend_the_key(new_customer: Contract, external_id: str) -> None:
    step = new_customer.step("first_quote_context")
    assert isinstance(step, ObjectPutStep)
    with pytest.raises(ObjectKeyError):
        object_key(step, {**bundle_values(), "customer_external_id": external_id})
