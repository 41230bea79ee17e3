"""Pure validation of an intake request: bytes (or a decoded document) in, a request or
per-field errors out. Every path into intake (API, form, `intake.requested`) goes through
`check_request`, so a value refused on one path is refused on all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from cascade.shared.bounded_json import check_json_limits
from cascade.shared.text_rules import single_line


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of the request; `field` is a dotted path."""

    field: str
    message: str


OneLine = Annotated[str, AfterValidator(single_line)]


class RunRequest(BaseModel):
    """The body of `POST /v1/runs`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workflow_type: Annotated[OneLine, Field(min_length=1, max_length=100)]
    inputs: dict[str, Any]
    source: Annotated[OneLine, Field(max_length=200)] | None = None


InputValidator = Callable[[str, Mapping[str, Any]], list[FieldError]]
"""Checks a workflow type and its inputs against the contracts; returns the problems."""


def parse_run_request(raw: bytes, validate_inputs: InputValidator) -> RunRequest | list[FieldError]:
    """Decode and validate a request body; never raises on bad input."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [FieldError("body", f"body is not valid UTF-8 (byte {exc.start})")]
    try:
        # Bounded first: a deeply nested body raises RecursionError inside json (a 500).
        check_json_limits(raw)
        document = json.loads(text)
    except ValueError as exc:
        return [FieldError("body", f"malformed JSON: {_json_problem(exc)}")]
    return check_request(document, validate_inputs)


def check_request(document: Any, validate_inputs: InputValidator) -> RunRequest | list[FieldError]:
    """Validate a decoded request (the API's body, the form's fields, an upstream event's
    data) against the request shape and the contract's inputs; never raises."""
    try:
        request = RunRequest.model_validate(document)
    except ValidationError as exc:
        return [_field_error(e) for e in exc.errors()]
    problems = validate_inputs(request.workflow_type, request.inputs)
    return problems or request


def request_digest(request: RunRequest) -> str:
    """A stable hash of what was asked, to tell a retry from a reused key."""
    canonical = json.dumps(request.model_dump(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _json_problem(exc: ValueError) -> str:
    msg, lineno = getattr(exc, "msg", None), getattr(exc, "lineno", None)
    return f"{msg} at line {lineno}" if msg is not None else str(exc)


def _field_error(error: Any) -> FieldError:
    path = ".".join(str(p) for p in error["loc"]) or "body"
    return FieldError(path, str(error["msg"]))
