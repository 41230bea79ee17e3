"""Pure validation of an intake request: bytes in, a request or per-field errors out."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of the request; `field` is a dotted path."""

    field: str
    message: str


class RunRequest(BaseModel):
    """The body of `POST /v1/runs`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workflow_type: str = Field(min_length=1, max_length=100)
    inputs: dict[str, Any]
    source: str | None = Field(default=None, max_length=200)


InputValidator = Callable[[str, Mapping[str, Any]], list[FieldError]]
"""Checks a workflow type and its inputs against the contracts; returns the problems."""


def parse_run_request(raw: bytes, validate_inputs: InputValidator) -> RunRequest | list[FieldError]:
    """Decode and validate a request body; never raises on bad input."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [FieldError("body", f"body is not valid UTF-8 (byte {exc.start})")]
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [FieldError("body", f"malformed JSON: {exc.msg} at line {exc.lineno}")]
    try:
        request = RunRequest.model_validate(document)
    except ValidationError as exc:
        return [_field_error(e) for e in exc.errors()]
    problems = nul_errors(request.inputs) or validate_inputs(request.workflow_type, request.inputs)
    return problems or request


def nul_errors(inputs: Mapping[str, Any]) -> list[FieldError]:
    """NUL characters anywhere in the inputs: PostgreSQL text cannot store them, so they are
    refused here with the field named rather than failing a step after approval."""
    return [
        FieldError(f"inputs.{name}", "must not contain NUL (U+0000) characters")
        for name, value in inputs.items()
        if _has_nul(value)
    ]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _field_error(error: Any) -> FieldError:
    path = ".".join(str(p) for p in error["loc"]) or "body"
    return FieldError(path, str(error["msg"]))
