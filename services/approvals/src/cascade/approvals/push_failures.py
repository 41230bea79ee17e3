"""What a failed NetSuite push means for Mike, read from the error ns-pusher recorded. No IO.

ns-pusher records NetSuite's refusal as one line (`responses.describe_error`):
`HTTP 400 Bad Request: INVALID_CONTENT: ... for the following field: email (at email)`.
A 400/422 names a field whose value NetSuite will refuse on every attempt: retrying it
blindly changes nothing, correcting the field does. Other failures (5xx, timeouts, 429 after
every attempt, credentials) are transient or not Mike's to fix by editing: Retry stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_STATUS = re.compile(r"HTTP (\d{3})")
_CODE = re.compile(r"\b([A-Z][A-Z_]{3,})\b:")
_FIELD = re.compile(r"\(at ([A-Za-z0-9_.]+)\)")
CORRECTABLE_STATUSES = frozenset({400, 422})
_WHY = {
    "email": "the address is not valid",
    "phone": "the phone number is not valid",
    "companyName": "the company name is missing or not valid",
}


@dataclass(frozen=True)
class PushFailure:
    """A failed push in plain words, and whether editing a field can fix it."""

    http_status: int | None
    code: str | None
    field: str | None
    sentence: str
    correctable: bool


def explain(record_type: str, last_error: str | None) -> PushFailure:
    """The failure of a `record_type` push with `last_error`, for the run page's headline."""
    error = last_error or "no error was recorded"
    status_match = _STATUS.search(error)
    status = int(status_match.group(1)) if status_match else None
    code_match = _CODE.search(error.split(":", 1)[1] if ":" in error else "")
    code = code_match.group(1) if code_match else None
    field_match = _FIELD.search(error)
    field = field_match.group(1) if field_match else None
    correctable = status in CORRECTABLE_STATUSES
    if correctable:
        head = " ".join(str(x) for x in (status, code) if x is not None)
        where = f" on {field}" if field else ""
        why = _WHY.get(field or "", "NetSuite will refuse this value on every attempt")
        sentence = f"NetSuite refused the {record_type}: {head}{where} — {why}"
    elif status == 401 or "credentials" in error:
        sentence = f"NetSuite refused our credentials for the {record_type}: {error}"
    elif status is not None:
        sentence = f"NetSuite answered {status} for the {record_type}: {error}"
    else:
        sentence = f"NetSuite could not be reached for the {record_type}: {error}"
    return PushFailure(status, code, field, sentence, correctable)


def action_hint(failure: PushFailure) -> str:
    """What Mike can do about it."""
    if failure.correctable:
        target = failure.field or "the refused field"
        return f"Correct {target} and re-push: the correction goes to you for approval first."
    return "Retry the push once the cause is fixed; NetSuite's upsert never makes a second record."
