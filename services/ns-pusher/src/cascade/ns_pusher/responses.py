"""What a NetSuite answer means for a push: applied, worth another attempt, or final. No IO."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

# Statuses NetSuite (or a proxy in front of it) uses for "not now": try again later.
_RETRYABLE_4XX = frozenset({408, 425, 429})
# NetSuite's codes for "over the account's concurrency limit": REST answers them with 429,
# but RESTlets and some paths send them with 400, so the code decides, not the status.
TRANSIENT_ERROR_CODES = frozenset(
    {"CONCURRENCY_LIMIT_EXCEEDED", "SSS_REQUEST_LIMIT_EXCEEDED", "WS_CONCUR_SESSION_DISALLOWED"}
)
_LOCATION_ID = re.compile(r"/([^/?#]+)/?(?:[?#].*)?$")
# A server asking for more than an hour is treated as asking for an hour: the row keeps
# the schedule, and a human can always retry a push earlier.
MAX_RETRY_AFTER_S = 3600.0


@dataclass(frozen=True)
class Applied:
    """NetSuite confirmed the write: its internal id and last-modified time."""

    netsuite_id: str
    last_modified: datetime | None
    http_status: int


@dataclass(frozen=True)
class Retryable:
    """The write may not have happened, or happened unconfirmed: the upsert can be repeated."""

    error: str
    http_status: int | None = None
    retry_after_s: float | None = None


@dataclass(frozen=True)
class Final:
    """NetSuite refused the write for a reason another attempt will not change."""

    error: str
    http_status: int | None = None


Outcome = Applied | Retryable | Final


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_S)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return min(max((moment - now).total_seconds(), 0.0), MAX_RETRY_AFTER_S)


def _error_details(body: bytes) -> list[Any] | None:
    try:
        parsed: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("o:errorDetails"), list):
        return None
    details: list[Any] = parsed["o:errorDetails"]
    return details


def error_codes(body: bytes) -> tuple[str, ...]:
    """Every `o:errorCode` of NetSuite's error body (none for a body in another shape)."""
    details = _error_details(body) or []
    return tuple(
        str(item["o:errorCode"])
        for item in details
        if isinstance(item, dict) and item.get("o:errorCode")
    )


def describe_error(status: int, body: bytes) -> str:
    """NetSuite's error detail in one line: status, title, each error code and detail."""
    try:
        parsed: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("o:errorDetails"), list):
        text = body.decode("utf-8", "replace").strip()[:500]
        return f"HTTP {status}" + (f": {text}" if text else "")
    parts = []
    for item in parsed["o:errorDetails"]:
        if isinstance(item, dict):
            path = f" (at {item['o:errorPath']})" if item.get("o:errorPath") else ""
            parts.append(f"{item.get('o:errorCode', 'ERROR')}: {item.get('detail', '')}{path}")
    title = parsed.get("title") or ""
    return f"HTTP {status} {title}: " + "; ".join(parts)


def is_transient(status: int, codes: tuple[str, ...]) -> bool:
    """Whether another attempt may succeed: 5xx, 408/425/429 ("not now"), and any status
    carrying one of NetSuite's concurrency-limit codes. Everything else NetSuite refuses
    (400 `INVALID_CONTENT` or `USER_ERROR` validation, 401, 403, 404) is permanent: the same
    request gets the same answer, so it is never retried blindly."""
    return status >= 500 or status in _RETRYABLE_4XX or not TRANSIENT_ERROR_CODES.isdisjoint(codes)


def classify_failure(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> Retryable | Final:
    """A non-2xx answer: transient ones (`is_transient`) are retried, with the server's
    Retry-After as a floor; permanent ones fail the push with NetSuite's reason."""
    error = describe_error(status, body)
    if is_transient(status, error_codes(body)):
        retry_after = parse_retry_after(headers.get("retry-after"), now)
        return Retryable(error, status, retry_after)
    if status == 401:
        error = f"NetSuite rejected the credentials (check the token and secrets): {error}"
    elif status == 400:
        fix = "not retried; fix it, then retry the push"
        error = f"NetSuite refused the record as invalid ({fix}): {error}"
    return Final(error, status)


def internal_id_from_location(location: str | None) -> str | None:
    """The internal id at the end of a `Location: .../record/v1/customer/647` header."""
    if not location:
        return None
    match = _LOCATION_ID.search(location)
    if match is None or match.group(1).startswith("eid:"):
        return None
    return match.group(1)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def applied_from_record(status: int, body: bytes) -> Applied | Retryable:
    """The read-back record: its `id` and `lastModifiedDate` confirm the write."""
    try:
        record: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        record = None
    if not isinstance(record, dict) or not record.get("id"):
        return Retryable(f"NetSuite's read-back (HTTP {status}) carried no record id", status)
    return Applied(str(record["id"]), _parse_time(record.get("lastModifiedDate")), status)
