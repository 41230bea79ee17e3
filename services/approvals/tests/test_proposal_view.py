"""The decision desk's reading of a payload (pure): presentation, its fallback, rules."""

from __future__ import annotations

import uuid

from cascade.approvals.proposal_view import (
    Query,
    blocked_at_approval,
    creator_run,
    downstream_text,
    failed_rules,
    presentation,
    queue_notice,
    shown_rules,
)

OLD = {
    "inputs": {"contact_email": "x", "company_name": "Oldco", "credit_limit": None},
    "context": {"existing_by_name": None, "default_programs": [{"id": 1, "name": "Kit"}]},
    "preconditions": [
        {"name": "no_duplicate", "severity": "block", "passed": True, "message": "exists"},
        {"name": "valid_email", "severity": "warn", "passed": False, "message": None},
        {"name": "known_terms", "severity": "block", "passed": False, "message": "no terms"},
    ],
    "what_changes": [{"system": "postgres", "resource": "customers", "action": "INSERT"}],
}


def test_a_payload_without_presentation_falls_back_to_its_old_sections() -> None:
    view = presentation(OLD, None)
    assert not view.from_runner
    assert view.title == "Oldco"
    assert view.sentence is None
    assert view.summary == [("Company name", "Oldco"), ("Contact email", "x")]
    assert view.plumbing == OLD["what_changes"]
    assert view.changes == []
    assert [(w.name, w.message) for w in view.warnings] == [
        ("valid_email", "The rule valid_email does not hold.")
    ]
    assert [q.name for q in view.queries] == ["default_programs", "existing_by_name"]
    assert view.queries[0].table() == (["id", "name"], [[1, "Kit"]])
    assert view.queries[1].table() is None


def test_the_runners_presentation_is_read_as_given() -> None:
    payload = {
        "presentation": {
            "title": "Acme Corp",
            "sentence": "Create Acme Corp",
            "summary": [{"label": "Tier", "value": "gold"}, {"label": "Rep", "value": None}],
            "changes": [{"system": "NetSuite", "resource": "customer", "says": "Create"}],
            "warnings": [{"name": "invalid_email", "message": "no @", "downstream": "refused"}],
            "netsuite": [{"step": "write_ns", "record_type": "customer", "method": "PUT",
                          "path": "/x", "body": {"b": 1, "a": 2}}],
        }
    }  # fmt: skip
    view = presentation(payload, None)
    assert view.from_runner
    assert (view.title, view.sentence, view.summary) == (
        "Acme Corp",
        "Create Acme Corp",
        [("Tier", "gold")],
    )
    assert [(w.name, w.message, w.downstream) for w in view.warnings] == [
        ("invalid_email", "no @", "refused")
    ]
    # The body keeps the order it will be sent in.
    assert view.netsuite[0].body_json.index('"b"') < view.netsuite[0].body_json.index('"a"')


def test_downstream_is_read_whatever_its_shape() -> None:
    assert downstream_text(None) is None
    assert downstream_text("NetSuite refuses it") == "NetSuite refuses it"
    assert downstream_text({"system": "NetSuite"}) == "NetSuite will refuse it"
    assert downstream_text({"message": "400 INVALID_CONTENT"}) == "400 INVALID_CONTENT"
    assert downstream_text(True) == "a downstream system will refuse it"


def test_rules_failed_and_shown() -> None:
    assert [r.name for r in failed_rules(OLD, None, severity="block")] == ["known_terms"]
    shown = shown_rules(OLD["preconditions"])
    assert shown[0] == ("no_duplicate", "block", True, "")  # passed: no failure text
    assert shown[2] == ("known_terms", "block", False, "no terms")


def test_blocked_at_approval_is_read_from_the_runners_reason() -> None:
    rules = blocked_at_approval("blocked at approval by precondition no_duplicate, x", None)
    assert rules is not None
    assert [r.name for r in rules] == ["no_duplicate", "x"]
    assert blocked_at_approval("blocked by precondition no_duplicate", None) is None
    assert blocked_at_approval(None, None) is None


def test_the_creator_run_of_a_customer() -> None:
    run = uuid.uuid4()
    assert creator_run(run, None) == str(run)
    assert creator_run(None, f"cascade-customer-{run}") == str(run)
    assert creator_run(None, "imported-7") is None


def test_queue_notice_and_query_tables() -> None:
    assert queue_notice("queue-empty") is not None
    assert queue_notice("approved") is None
    assert Query("q", None, {}, 3).table() is None
