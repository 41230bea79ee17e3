"""Unit tests of decision body validation: no IO."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cascade.approvals.bodies import ApproveBody, RejectBody, parse_body

SHA = "ab" * 32


def raw(**fields: Any) -> bytes:
    return json.dumps({"version": 3, "payload_sha256": SHA, **fields}).encode()


def test_valid_approve_parses() -> None:
    parsed = parse_body(raw(), ApproveBody)
    assert isinstance(parsed, ApproveBody)
    assert (parsed.version, parsed.payload_sha256) == (3, SHA)


def test_valid_reject_keeps_the_reason_as_written() -> None:
    parsed = parse_body(raw(reason="  wrong tier\nsee ticket 12 "), RejectBody)
    assert isinstance(parsed, RejectBody)
    assert parsed.reason == "  wrong tier\nsee ticket 12 "


@pytest.mark.parametrize(
    ("body", "model", "field", "fragment"),
    [
        (b'{"version": 1,', ApproveBody, "body", "malformed JSON"),
        (b"\xff\xfe{}", ApproveBody, "body", "UTF-8"),
        (b"[1]", ApproveBody, "body", "valid dictionary"),
        (b'{"payload_sha256": "' + SHA.encode() + b'"}', ApproveBody, "version", "required"),
        (raw(version="3"), ApproveBody, "version", "integer"),
        (raw(version=0), ApproveBody, "version", "greater than or equal to 1"),
        (raw(version=True), ApproveBody, "version", "integer"),
        (raw(payload_sha256=SHA.upper()), ApproveBody, "payload_sha256", "pattern"),
        (raw(payload_sha256=SHA[:-1]), ApproveBody, "payload_sha256", "pattern"),
        (raw(reason="fine"), ApproveBody, "reason", "extra"),
        (raw(), RejectBody, "reason", "required"),
        (raw(reason=""), RejectBody, "reason", "at least 1"),
        (raw(reason=" \t\n"), RejectBody, "reason", "blank"),
        (raw(reason="x" * 2001), RejectBody, "reason", "at most 2000"),
        (raw(reason="nul\x00byte"), RejectBody, "reason", "NUL"),
        (raw(reason=7), RejectBody, "reason", "string"),
        (raw(reason="escape\x1b[2J"), RejectBody, "reason", "U+001B"),
        # Deeper than json's recursion limit: used to raise RecursionError (a 500).
        (
            b'{"version": 1, "payload_sha256": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            ApproveBody,
            "body",
            "deeper",
        ),
    ],
)
def test_bad_bodies_name_the_field(
    body: bytes, model: type[ApproveBody], field: str, fragment: str
) -> None:
    parsed = parse_body(body, model)
    assert isinstance(parsed, list), parsed
    assert [e.field for e in parsed] == [field]
    assert fragment.lower() in parsed[0].message.lower()


def test_reason_of_exactly_2000_characters_is_accepted() -> None:
    assert isinstance(parse_body(raw(reason="x" * 2000), RejectBody), RejectBody)
