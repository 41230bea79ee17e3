"""The validation NetSuite applies to an upserted customer, reduced to what callers can trip."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# NetSuite matches REST field ids without regard to case (its own docs use both
# `companyname` and `companyName`), so the checks below do too.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Problem:
    """One validation error, as NetSuite reports it in `o:errorDetails`."""

    code: str
    detail: str
    path: str | None = None


def _invalid_value(field: str, value: Any) -> Problem:
    return Problem(
        "INVALID_CONTENT",
        "Error while accessing resource: You have entered an Invalid Field Value "
        f"{value} for the following field: {field}",
        field,
    )


def _missing(label: str, field: str) -> Problem:
    return Problem("USER_ERROR", f"Please enter value(s) for: {label}", field)


def _customer_problem(fields: dict[str, Any]) -> Problem | None:
    if fields.get("isperson") is True:
        for key, label in (("firstname", "First Name"), ("lastname", "Last Name")):
            if not str(fields.get(key) or "").strip():
                return _missing(label, key)
    elif not isinstance(fields.get("companyname"), str) or not fields["companyname"].strip():
        return _missing("Company Name", "companyName")
    email = fields.get("email")
    if email not in (None, "") and not (isinstance(email, str) and _EMAIL.match(email)):
        return _invalid_value("email", email)
    return None


def upsert_problem(
    record_type: str, external_id: str, body: Any, existing: dict[str, Any] | None = None
) -> Problem | None:
    """Why NetSuite would refuse this upsert body (over the record's `existing` fields,
    when it is an update), or None when it accepts it."""
    if not isinstance(body, dict):
        return Problem("INVALID_CONTENT", "The request body must be a JSON object.")
    fields = {str(key).lower(): value for key, value in {**(existing or {}), **body}.items()}
    if any(str(key).lower() == "id" for key in body):
        return Problem(
            "INVALID_CONTENT", "Internal ID values cannot be set by an upsert operation.", "id"
        )
    given = fields.get("externalid")
    if given is not None and str(given) != external_id:
        return _invalid_value("externalId", given)
    if record_type == "customer":
        return _customer_problem(fields)
    return None
