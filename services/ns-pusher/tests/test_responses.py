"""Classifying NetSuite's answers: retry, final or applied; NetSuite's detail kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cascade.ns_pusher.responses import (
    MAX_RETRY_AFTER_S,
    Applied,
    Final,
    Retryable,
    applied_from_record,
    classify_failure,
    describe_error,
    error_codes,
    internal_id_from_location,
    is_transient,
    parse_retry_after,
)

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def netsuite_error(status: int, code: str, detail: str, path: str | None = None) -> bytes:
    item = {"detail": detail, "o:errorCode": code} | ({"o:errorPath": path} if path else {})
    body = {"type": "https://x", "title": "Bad Request", "status": status}
    return json.dumps(body | {"o:errorDetails": [item]}).encode()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), (" 10 ", 10.0), ("Fri, 02 Jan 2026 03:04:35 GMT", 30.0), ("soon", None)],
)
def test_retry_after_forms(value: str, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_retry_after_is_capped_and_never_negative() -> None:
    assert parse_retry_after("999999", NOW) == MAX_RETRY_AFTER_S
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:00 GMT", NOW) == 0.0
    assert parse_retry_after(None, NOW) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 408])
def test_server_errors_are_retried(status: int) -> None:
    assert isinstance(classify_failure(status, {}, b"", NOW), Retryable)


def test_429_carries_its_retry_after() -> None:
    body = netsuite_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "limit")
    outcome = classify_failure(429, {"retry-after": "3"}, body, NOW)
    assert outcome == Retryable(describe_error(429, body), 429, 3.0)


def test_validation_errors_are_final_with_netsuite_detail() -> None:
    body = netsuite_error(
        400, "USER_ERROR", "Please enter value(s) for: Company Name", "companyName"
    )
    outcome = classify_failure(400, {}, body, NOW)
    assert isinstance(outcome, Final)
    assert outcome.http_status == 400
    assert "USER_ERROR: Please enter value(s) for: Company Name (at companyName)" in outcome.error


def test_invalid_content_is_permanent_and_says_why() -> None:
    body = netsuite_error(400, "INVALID_CONTENT", "Invalid email address.", "email")
    outcome = classify_failure(400, {"retry-after": "1"}, body, NOW)
    assert isinstance(outcome, Final)
    assert "refused the record as invalid (not retried" in outcome.error
    assert "INVALID_CONTENT: Invalid email address. (at email)" in outcome.error


@pytest.mark.parametrize(
    ("status", "codes", "transient"),
    [
        (400, ("INVALID_CONTENT",), False),
        (400, ("USER_ERROR", "INVALID_FLD_VALUE"), False),
        (400, (), False),
        (403, ("INSUFFICIENT_PERMISSION",), False),
        (404, ("NONEXISTENT_ID",), False),
        (401, ("INVALID_LOGIN",), False),
        (429, ("CONCURRENCY_LIMIT_EXCEEDED",), True),
        (429, (), True),
        (400, ("SSS_REQUEST_LIMIT_EXCEEDED",), True),
        (403, ("WS_CONCUR_SESSION_DISALLOWED",), True),
        (500, ("UNEXPECTED_ERROR",), True),
        (503, (), True),
        (408, (), True),
    ],
)
def test_permanent_and_transient_failures(
    status: int, codes: tuple[str, ...], transient: bool
) -> None:
    assert is_transient(status, codes) is transient


def test_a_concurrency_code_sent_with_400_is_retried() -> None:
    body = netsuite_error(400, "SSS_REQUEST_LIMIT_EXCEEDED", "Request limit exceeded.")
    assert isinstance(classify_failure(400, {}, body, NOW), Retryable)


def test_error_codes_are_read_from_netsuite_bodies_only() -> None:
    assert error_codes(netsuite_error(400, "INVALID_CONTENT", "x")) == ("INVALID_CONTENT",)
    assert error_codes(b"<html>no</html>") == ()
    assert error_codes(b'{"o:errorDetails": [{"detail": "no code"}, 3]}') == ()


def test_401_is_final_and_says_what_to_check() -> None:
    body = netsuite_error(401, "INVALID_LOGIN", "Invalid login attempt.")
    outcome = classify_failure(401, {}, body, NOW)
    assert isinstance(outcome, Final)
    assert "credentials" in outcome.error
    assert "INVALID_LOGIN" in outcome.error


def test_a_body_that_is_not_netsuite_json_is_kept_as_text() -> None:
    assert describe_error(502, b"<html>Bad gateway</html>") == "HTTP 502: <html>Bad gateway</html>"
    assert describe_error(503, b"") == "HTTP 503"


@pytest.mark.parametrize(
    ("location", "internal_id"),
    [
        ("https://a.suitetalk.api.netsuite.com/services/rest/record/v1/customer/647", "647"),
        ("http://127.0.0.1:9/services/rest/record/v1/customer/12/", "12"),
        ("http://h/services/rest/record/v1/customer/eid:X", None),
        (None, None),
    ],
)
def test_internal_id_from_location(location: str | None, internal_id: str | None) -> None:
    assert internal_id_from_location(location) == internal_id


def test_read_back_record_confirms_the_push() -> None:
    record = {"id": "647", "externalId": "C-1", "lastModifiedDate": "2026-01-02T03:04:05Z"}
    assert applied_from_record(200, json.dumps(record).encode()) == Applied("647", NOW, 200)
    assert isinstance(applied_from_record(200, b"{}"), Retryable)
    assert isinstance(applied_from_record(200, b"not json"), Retryable)
