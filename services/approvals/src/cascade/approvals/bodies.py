"""Pure validation of decision bodies: bytes in, a body or per-field errors out."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from cascade.shared.bounded_json import check_json_limits
from cascade.shared.text_rules import multi_line, single_line

MAX_BODY_BYTES = 16 * 1024
MAX_REASON_CHARS = 2000
SHA256_HEX = r"^[0-9a-f]{64}$"
# FastAPI prefixes a parameter's location; Mike needs the parameter's name.
_LOCATIONS = {"body", "query", "path", "header"}


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request; `field` is a dotted path."""

    field: str
    message: str


def _meaningful(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    # PostgreSQL text cannot hold NUL; refuse it (and other control characters) here
    # rather than fail in the database. A reason may span lines.
    return multi_line(text)


OneLine = Annotated[str, AfterValidator(single_line)]
"""A query filter or other single-line text: no NUL (PostgreSQL refuses it: a 500), no CR/LF."""


class ApproveBody(BaseModel):
    """The body of `POST /v1/proposals/{id}/approve`: what Mike saw, by version and hash."""

    model_config = ConfigDict(extra="forbid", strict=True)

    version: int = Field(ge=1, le=2**31 - 1)
    payload_sha256: str = Field(pattern=SHA256_HEX)


class RejectBody(ApproveBody):
    """The body of `POST /v1/proposals/{id}/reject`: also why."""

    reason: Annotated[
        str, Field(min_length=1, max_length=MAX_REASON_CHARS), AfterValidator(_meaningful)
    ]


Body = TypeVar("Body", bound=ApproveBody)


def parse_body(raw: bytes, model: type[Body]) -> Body | list[FieldError]:
    """Decode and validate a decision body; never raises on bad input."""
    try:
        text = raw.decode("utf-8")
        # Bounded first: a deeply nested body raises RecursionError inside json (a 500).
        check_json_limits(raw)
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        return [FieldError("body", f"body is not valid UTF-8 (byte {exc.start})")]
    except json.JSONDecodeError as exc:
        return [FieldError("body", f"malformed JSON: {exc.msg} at line {exc.lineno}")]
    except ValueError as exc:  # JsonLimitError
        return [FieldError("body", f"malformed JSON: {exc}")]
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        return field_errors(exc.errors())


def field_errors(errors: Iterable[Any]) -> list[FieldError]:
    """Pydantic (or FastAPI) errors as one FieldError per problem."""
    result = []
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        if len(loc) > 1 and loc[0] in _LOCATIONS:
            loc = loc[1:]
        result.append(FieldError(".".join(loc) or "body", str(error["msg"])))
    return result
