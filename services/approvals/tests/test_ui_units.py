"""Pure parts of the UI: throttle delays, cookies, redirects, graph colours, formatting, email."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.responses import Response

from cascade.approvals import fmt
from cascade.approvals.edits import edit_problem, edited_payload
from cascade.approvals.email_sending import approval_problem, message_id
from cascade.approvals.graphs import contract_svg
from cascade.approvals.passwords import configured_hash, hash_password, verify_sync
from cascade.approvals.proposal_page import candidate_ids
from cascade.approvals.smtp import Outgoing, message_of
from cascade.approvals.throttle import Budget, delay_after
from cascade.approvals.ui_login import _set_cookie, safe_next
from cascade.approvals.ui_settings import UiSettings
from cascade.approvals.web import Ui
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import NodeState, load_contracts
from cascade.shared.db.models import ProposedAction
from cascade.shared.payloads import ProposalDecision

REPO = Path(__file__).resolve().parents[3]


def test_delays_double_after_the_free_tries_and_stay_capped() -> None:
    budget = Budget(free_failures=3, base_delay_s=1.0, max_delay_s=300.0)
    assert [delay_after(n, budget) for n in range(1, 8)] == [0, 0, 0, 1, 2, 4, 8]
    assert delay_after(10_000, budget) == 300.0


def test_secure_cookie_is_host_prefixed_httponly_strict() -> None:
    settings = UiSettings(_env_file=None, ui_insecure_cookies=False)
    response = Response()
    _set_cookie(Ui(None, settings, {}), response, settings.cookie_name, "v", max_age=60)  # type: ignore[arg-type]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-cascade_session=v;")
    for attribute in ("HttpOnly", "Path=/", "SameSite=strict", "Secure"):
        assert attribute in cookie
    assert "Domain" not in cookie


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/runs", "/runs"), ("//evil.example", "/"), ("https://evil.example", "/"), (None, "/"),
     ("/\\evil", "/")],
)  # fmt: skip
def test_login_only_redirects_locally(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_passwords_hash_and_verify_and_blank_means_closed() -> None:
    stored = hash_password("a long enough password")
    assert verify_sync(stored, "a long enough password")
    assert not verify_sync(stored, "wrong")
    assert not verify_sync("not-a-hash", "anything")
    assert configured_hash(None) is None


def test_graph_labels_nodes_by_state_and_escapes_details() -> None:
    contract = load_contracts(REPO / "contracts")["new_customer"]
    states = {
        "step:write_d1": NodeState("done"),
        "step:write_ns": NodeState("failed", "</title><script>x</script>"),
    }
    svg = contract_svg(contract, states)
    assert 'class="node step st-failed"' in svg
    assert "✗ failed" in svg
    assert "✓ done" in svg
    assert 'data-legend="run"' in svg
    assert "<script>" not in svg


def test_candidates_come_from_existing_queries_only() -> None:
    context = {"existing_by_name": [{"id": 3}], "existing_by_email": [{"id": 3}, {"id": 5}],
               "default_programs": [{"id": 9}], "default_terms": 1}  # fmt: skip
    assert candidate_ids(context) == [3, 5]


def test_formatting() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert fmt.age(now - timedelta(seconds=75), now) == "1m 15s"
    assert fmt.time_left(now + timedelta(hours=2, minutes=5), now) == "2h 05m"
    assert fmt.time_left(now - timedelta(seconds=1), now) == "expired"
    assert fmt.time_left(None, now) == "never"


def _email(version: int = 2) -> ProposedAction:
    payload = edited_payload({"to": "a@b.example", "subject": "x", "body": "y"}, " Hi ", "a\r\nb")
    return ProposedAction(
        id=7, run_id=uuid.uuid4(), action_type="propose_email_to_customer", status="approved",
        payload=payload, payload_sha256=sha256_of(payload), version=version,
    )  # fmt: skip


def test_edited_payload_normalises_text() -> None:
    assert _email().payload == {"to": "a@b.example", "subject": "Hi", "body": "a\nb"}


def test_an_email_is_sent_only_for_the_approved_version_and_hash() -> None:
    email = _email()
    good = ProposalDecision(
        proposal_id=7, action_type="propose_email_to_customer", version=2,
        payload_sha256=email.payload_sha256, decided_by="mike",
    )  # fmt: skip
    assert approval_problem(email, good) is None
    assert approval_problem(email, good.model_copy(update={"version": 1})) is not None
    email.payload = {**email.payload, "body": "changed"}
    assert approval_problem(email, good) == "the stored payload no longer matches its hash"


def test_message_id_is_stable_per_version() -> None:
    assert message_id(_email(), "mike@cascade.example") == (
        "<cascade-proposal-7-v2@cascade.example>"
    )
    mail = message_of(Outgoing("a@b.example", "S", "B", "<id@x>"), "mike@cascade.example")
    assert (mail["Message-ID"], mail["From"], mail["To"]) == (
        "<id@x>",
        "mike@cascade.example",
        "a@b.example",
    )


def test_an_edit_keeps_recipient_and_subject_on_one_line_and_one_address() -> None:
    assert edit_problem("jane@acme.example", "Welcome", "Hello\r\nJane\tand team") is None
    assert edit_problem(None, "Welcome", "Hello") is None
    refused = {
        "recipient list": edit_problem("jane@acme.example, x@evil.example", "Hi", "Hello"),
        "recipient crlf": edit_problem("jane@acme.example\r\nBcc: x@evil", "Hi", "Hello"),
        "recipient invalid": edit_problem("jane", "Hi", "Hello"),
        "subject crlf": edit_problem("jane@acme.example", "Hi\r\nBcc: x@evil", "Hello"),
        "subject separator": edit_problem("jane@acme.example", "Hi\u2028there", "Hello"),
        "body nul": edit_problem("jane@acme.example", "Hi", "Hel\x00lo"),
    }
    assert all(refused.values()), refused
    assert refused["recipient list"].startswith("Recipient must be exactly one")
    assert refused["subject crlf"].startswith("Subject must be a single line")


def test_an_edited_recipient_is_trimmed_and_replaces_the_drafts() -> None:
    payload = edited_payload({"to": "a@b.example"}, "Hi", "Hello", " c@d.example ")
    assert payload["to"] == "c@d.example"
    assert edited_payload({"to": "a@b.example"}, "Hi", "Hello")["to"] == "a@b.example"
