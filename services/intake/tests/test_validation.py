"""Unit tests of intake request parsing: no IO."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cascade.shared.run_requests.staging import reserved_key
from cascade.shared.run_requests.validation import FieldError, RunRequest, parse_run_request


def accept_all(_workflow_type: str, _inputs: Mapping[str, Any]) -> list[FieldError]:
    return []


def only_known(workflow_type: str, _inputs: Mapping[str, Any]) -> list[FieldError]:
    if workflow_type != "new_customer":
        return [FieldError("workflow_type", "unknown workflow type")]
    return []


def test_valid_request_parses() -> None:
    parsed = parse_run_request(
        b'{"workflow_type": "new_customer", "inputs": {"company_name": "Acme"}}', accept_all
    )
    assert isinstance(parsed, RunRequest)
    assert parsed.inputs == {"company_name": "Acme"}


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        (b'{"workflow_type": "new_customer", "inputs": ', "body", "malformed JSON"),
        (b"\xff\xfe{}", "body", "UTF-8"),
        (b'{"workflow_type": 7, "inputs": {}}', "workflow_type", "string"),
        (b'{"workflow_type": "new_customer", "inputs": []}', "inputs", "dictionary"),
        (b'{"inputs": {}}', "workflow_type", "required"),
        (b'{"workflow_type": "new_customer", "inputs": {}, "x": 1}', "x", "not permitted"),
        (b'{"workflow_type": "", "inputs": {}}', "workflow_type", "at least 1"),
        (b"[1, 2]", "body", "valid dictionary"),
        # Deeper than json's recursion limit: used to raise RecursionError (a 500).
        (b'{"workflow_type": "x", "inputs": ' + b"[" * 5000 + b"]" * 5000 + b"}", "body", "deeper"),
        (b'{"workflow_type": "new\\r\\ncustomer", "inputs": {}}', "workflow_type", "single line"),
        (b'{"workflow_type": "new_customer", "inputs": {}, "source": "a\\u0000"}', "source", "NUL"),
    ],
)
def test_bad_requests_name_the_field(raw: bytes, field: str, fragment: str) -> None:
    parsed = parse_run_request(raw, accept_all)
    assert isinstance(parsed, list), parsed
    assert parsed[0].field == field
    assert fragment.lower() in parsed[0].message.lower()


def test_unknown_workflow_type_is_reported_by_the_catalog() -> None:
    parsed = parse_run_request(b'{"workflow_type": "nope", "inputs": {}}', only_known)
    assert parsed == [FieldError("workflow_type", "unknown workflow type")]


def test_the_execute_forms_keys_are_reserved() -> None:
    assert reserved_key("admin:0b6c3f0e-5d0a-4e55-9f0e-7d4c8f2a1e13")
    assert reserved_key("event:x")
    assert reserved_key("cron:y")
    assert not reserved_key("form-123")
