"""The upsert validation NetSuite applies, as far as the simulator reproduces it."""

from __future__ import annotations

from cascade.netsuite_sim.validation import upsert_problem


def test_a_complete_customer_is_accepted() -> None:
    body = {"externalId": "C-1", "companyName": "Acme", "email": "a@acme.example", "phone": None}
    assert upsert_problem("customer", "C-1", body) is None


def test_company_name_is_required_for_a_company() -> None:
    problem = upsert_problem("customer", "C-1", {"email": "a@acme.example"})
    assert problem is not None
    assert (problem.code, problem.path) == ("USER_ERROR", "companyName")
    assert problem.detail == "Please enter value(s) for: Company Name"


def test_an_update_is_checked_against_the_stored_fields() -> None:
    assert upsert_problem("customer", "C-1", {"phone": "1"}, {"companyName": "Acme"}) is None


def test_field_ids_match_without_regard_to_case() -> None:
    assert upsert_problem("customer", "C-1", {"companyname": "Acme"}) is None


def test_a_person_needs_first_and_last_name() -> None:
    problem = upsert_problem("customer", "P-1", {"isPerson": True, "firstName": "Ann"})
    assert problem is not None
    assert problem.detail == "Please enter value(s) for: Last Name"


def test_bad_values_are_invalid_content() -> None:
    for body, path in (
        ({"companyName": "A", "email": "not-an-email"}, "email"),
        ({"companyName": "A", "externalId": "OTHER"}, "externalId"),
        ({"companyName": "A", "id": "5"}, "id"),
    ):
        problem = upsert_problem("customer", "C-1", body)
        assert problem is not None
        assert (problem.code, problem.path) == ("INVALID_CONTENT", path)


def test_the_body_must_be_an_object() -> None:
    problem = upsert_problem("customer", "C-1", ["companyName"])
    assert problem is not None
    assert problem.code == "INVALID_CONTENT"
