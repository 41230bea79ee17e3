"""NetSuite's record against the mirror's row of the same external id."""

from __future__ import annotations

from cascade.verifier.mirror import MIRRORS, mismatches, record_by_external_id

CUSTOMER = MIRRORS["customer"]


def test_paths_by_external_id_are_recognised() -> None:
    assert record_by_external_id("/record/v1/customer/eid:cust-42") == ("customer", "cust-42")
    assert record_by_external_id("/record/v1/customer/eid:a%20b") == ("customer", "a b")
    assert record_by_external_id("/record/v1/customer/647") is None
    assert record_by_external_id("/query/v1/suiteql") is None


def test_agreeing_sides_have_no_mismatch() -> None:
    record = {"id": "647", "companyName": "Acme, Inc.", "email": "x@acme.example"}
    assert mismatches(CUSTOMER, record, {"netsuite_id": "647", "companyname": "Acme, Inc."}) == []


def test_each_disagreement_is_named() -> None:
    record = {"id": "648", "companyName": "Acme"}
    found = mismatches(CUSTOMER, record, {"netsuite_id": "647", "companyname": "Acme, Inc."})
    assert found == [
        "mirror netsuite_id='647' but NetSuite id='648'",
        "mirror companyname='Acme, Inc.' but NetSuite companyName='Acme'",
    ]


def test_a_mirror_without_the_internal_id_disagrees() -> None:
    record = {"id": "647", "companyName": "Acme"}
    assert mismatches(CUSTOMER, record, {"netsuite_id": None, "companyname": "Acme"}) == [
        "mirror netsuite_id=None but NetSuite id='647'"
    ]


def test_a_missing_mirror_row_disagrees() -> None:
    assert mismatches(CUSTOMER, {"id": "1"}, None) == [
        "the mirror has no row with this external id"
    ]
