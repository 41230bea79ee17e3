"""The benchmark peers' pure parts: the contract's rules as the peers apply them, and the
exactly-once check's verdict. (The peers themselves are exercised by bench/peers/smoke.py,
which needs their own venv and real servers.)"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bench.peers import new_customer as nc
from bench.peers.harness import run_violations
from bench.workflow.system import RunInputs

RUN = "3f1c7f9e-6a43-4d55-9a53-0e0c8b7d2a11"


def values(**over: object) -> dict[str, object]:
    return nc.derive({**RunInputs(7, "t").as_dict(), **over}, RUN)


def test_derive_normalizes_and_names_the_external_id() -> None:
    v = values(company_name="Acme, Inc.", contact_email=" Jane@Example.COM ")
    assert v["company_name_normalized"] == "acme"
    assert v["contact_email_normalized"] == "jane@example.com"
    assert v["shipping_address_effective"] == v["billing_address"]
    assert v["customer_external_id"] == f"cascade-customer-{RUN}"
    assert v["credit_limit"] == "1000.00"


@pytest.mark.parametrize(
    "over",
    [
        {"company_name": ""},
        {"pricing_tier": "bronze"},
        {"credit_limit": "-1"},
        {"credit_limit": "1.234"},
        {"billing_address": "x" * 151},
        {"unknown_field": "x"},
    ],
)
def test_derive_refuses_what_the_contract_refuses(over: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        values(**over)


def test_blocking_preconditions() -> None:
    v = values()
    clean = {"default_terms": 1, "requested_terms": None, "existing_by_name": None}
    assert nc.blocking_failures(v, clean) == []
    dup = {**clean, "existing_by_email": [{"id": 1, "companyname": "X"}]}
    assert nc.blocking_failures(v, dup) == ["no_duplicate"]
    assert nc.blocking_failures(values(terms="Net 99"), clean) == ["known_terms"]
    assert nc.blocking_failures(v, {**clean, "default_terms": None}) == ["default_terms_configured"]


@pytest.mark.parametrize(
    ("email", "warned"),
    [("a@b.co", False), ("a@b@c.de", False), ("a@b", True), ("@b.co", True), ("a@.co", True)],
)
def test_valid_email_warning_is_the_contracts_like(email: str, warned: bool) -> None:
    found = nc.warnings(values(contact_email=email), {"default_programs": [{"id": 1}]})
    assert ("valid_email" in found) is warned


def test_payload_hash_names_exactly_the_proposal() -> None:
    v = values()
    ctx = {"terms_id": 2, "default_programs": None}
    payload = nc.proposal(v, ctx, nc.warnings(v, ctx))
    assert nc.payload_sha256(payload) == nc.payload_sha256(dict(reversed(payload.items())))
    other = nc.proposal(values(credit_limit="2000.00"), ctx, [])
    assert nc.payload_sha256(other) != nc.payload_sha256(payload)
    assert payload["netsuite"]["terms"] == {"id": "2"}
    assert "phone" not in payload["netsuite"]


def test_check_flags_each_way_a_run_can_go_wrong() -> None:
    eid = f"cascade-customer-{RUN}"
    done = {(RUN, "completed"): 1}
    assert run_violations(RUN, {eid: 1}, {eid: 1}, done) == []
    assert len(run_violations(RUN, {eid: 2}, {eid: 1}, done)) == 1
    assert len(run_violations(RUN, {eid: 1}, {}, done)) == 1
    assert len(run_violations(RUN, {eid: 1}, {eid: 1}, {(RUN, "partial"): 1})) == 1
    assert len(run_violations(RUN, {}, {}, {})) == 3
