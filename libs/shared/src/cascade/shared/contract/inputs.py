"""Declared inputs of a workflow, and the request model intake validates submissions with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    create_model,
    model_validator,
)

from cascade.shared.text_rules import multi_line, one_recipient, single_line, valid_address

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
Identifier = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
"""A lower-case snake_case name (also a valid SQL parameter and template name)."""

PHONE_PATTERN = r"^\+?[0-9 ().\-]{5,32}$"


class InputSpec(BaseModel):
    """What every input declares: its name, whether it is required, a hint for people."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    name: Identifier
    required: bool
    hint: str | None = None

    def annotation(self) -> Any:
        """The Python type of a present value (constraints included)."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _check_default(self) -> InputSpec:
        default = getattr(self, "default", None)
        if default is None:
            return self
        if self.required:
            raise ValueError("a required input cannot have a default")
        try:
            TypeAdapter(self.annotation()).validate_python(default)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            raise ValueError(f"default {default!r} does not fit the input: {reason}") from None
        return self


class StringInput(InputSpec):
    """Free text on one line (``string``) or several (``text``); surrounding spaces are trimmed.

    ``string`` holds no control character at all (no CR/LF, TAB, NUL, ...); ``text`` may
    also hold TAB, LF and CR (see `cascade.shared.text_rules`)."""

    type: Literal["string", "text"]
    max_length: int = Field(gt=0, le=10_000)
    min_length: int = Field(default=1, ge=0)
    pattern: str | None = None
    default: str | None = None

    def annotation(self) -> Any:
        """Trimmed ``str`` within the length limits, without control characters."""
        constraints = StringConstraints(
            strip_whitespace=True,
            min_length=self.min_length,
            max_length=self.max_length,
            pattern=self.pattern,
        )
        characters = multi_line if self.type == "text" else single_line
        return Annotated[str, constraints, AfterValidator(characters)]


class EmailInput(InputSpec):
    """Exactly one email address (trimmed, checked by email-validator without DNS; kept as
    typed)."""

    type: Literal["email"]
    max_length: int = Field(default=254, gt=0, le=254)
    default: str | None = None

    def annotation(self) -> Any:
        """Trimmed ``str`` that is one valid address."""
        constraints = StringConstraints(strip_whitespace=True, max_length=self.max_length)
        return Annotated[str, constraints, AfterValidator(valid_address)]


class PhoneInput(InputSpec):
    """A phone number: digits, spaces, ``+ ( ) . -``."""

    type: Literal["phone"]
    max_length: int = Field(default=32, gt=0, le=32)
    default: str | None = None

    def annotation(self) -> Any:
        """Trimmed ``str`` shaped like a phone number."""
        constraints = StringConstraints(
            strip_whitespace=True, max_length=self.max_length, pattern=PHONE_PATTERN
        )
        return Annotated[str, constraints]


class DecimalInput(InputSpec):
    """An exact decimal (money: never a float)."""

    type: Literal["decimal"]
    max_digits: int = Field(gt=0, le=38)
    decimal_places: int = Field(ge=0, le=12)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    default: Decimal | None = None

    def annotation(self) -> Any:
        """``Decimal`` within digits, places and bounds."""
        field = Field(
            max_digits=self.max_digits,
            decimal_places=self.decimal_places,
            ge=self.minimum,
            le=self.maximum,
        )
        return Annotated[Decimal, field]


class IntegerInput(InputSpec):
    """A whole number within optional bounds."""

    type: Literal["integer"]
    minimum: int | None = None
    maximum: int | None = None
    default: int | None = None

    def annotation(self) -> Any:
        """``int`` within bounds."""
        return Annotated[int, Field(ge=self.minimum, le=self.maximum)]


class BooleanInput(InputSpec):
    """true or false (strict: no "yes"/"1" guessing)."""

    type: Literal["boolean"]
    default: bool | None = None

    def annotation(self) -> Any:
        """Strict ``bool``."""
        return StrictBool


class EnumInput(InputSpec):
    """One of a fixed list of strings."""

    type: Literal["enum"]
    values: list[str] = Field(min_length=1)
    default: str | None = None

    @model_validator(mode="after")
    def _unique_values(self) -> EnumInput:
        if len(set(self.values)) != len(self.values):
            raise ValueError("enum values must be unique")
        return self

    def annotation(self) -> Any:
        """``Literal`` of the values."""
        return Literal[tuple(self.values)]


class DateInput(InputSpec):
    """A calendar date (ISO 8601)."""

    type: Literal["date"]
    default: date | None = None

    def annotation(self) -> Any:
        """``datetime.date``."""
        return date


Input = Annotated[
    StringInput
    | EmailInput
    | PhoneInput
    | DecimalInput
    | IntegerInput
    | BooleanInput
    | EnumInput
    | DateInput,
    Field(discriminator="type"),
]
"""One declared input; ``type`` selects the kind."""


def request_model(
    workflow_type: str, inputs: Sequence[InputSpec], recipients: frozenset[str] = frozenset()
) -> type[BaseModel]:
    """A pydantic model for a request's inputs: unknown fields refused, optional ones NULL
    (or their default) when absent; inputs named in `recipients` (they become an email's
    `to`) must also be a single address token (`text_rules.one_recipient`)."""
    fields: dict[str, Any] = {}
    for spec in inputs:
        annotation = spec.annotation()
        if spec.name in recipients:
            annotation = Annotated[annotation, AfterValidator(one_recipient)]
        if spec.required:
            fields[spec.name] = (annotation, ...)
        else:
            fields[spec.name] = (annotation | None, getattr(spec, "default", None))
    config = ConfigDict(extra="forbid", frozen=True)
    return create_model(f"{workflow_type}_inputs", __config__=config, **fields)


def validate_request(
    workflow_type: str,
    inputs: Sequence[InputSpec],
    data: Mapping[str, object],
    recipients: frozenset[str] = frozenset(),
) -> dict[str, object]:
    """Validate a request's raw inputs; raises pydantic.ValidationError naming each field."""
    model = _compiled_model(workflow_type, inputs, recipients)
    return dict(model.model_validate(dict(data)).model_dump())


MODEL_CACHE_SIZE = 256
_MODELS: dict[tuple[str, int, frozenset[str]], tuple[Sequence[InputSpec], type[BaseModel]]] = {}
"""Request models by (workflow type, the identity of the loaded inputs list, recipients):
building one with ``create_model`` costs far more than validating with it, and a loaded
contract's inputs never change, so each contract version compiles its model once."""


def _compiled_model(
    workflow_type: str, inputs: Sequence[InputSpec], recipients: frozenset[str]
) -> type[BaseModel]:
    key = (workflow_type, id(inputs), recipients)
    cached = _MODELS.get(key)
    # The identity check guards against a reused id() once an old inputs list was freed.
    if cached is not None and cached[0] is inputs:
        return cached[1]
    model = request_model(workflow_type, inputs, recipients)
    if len(_MODELS) >= MODEL_CACHE_SIZE:
        _MODELS.clear()  # only tests parse this many contracts; a process loads a handful
    _MODELS[key] = (inputs, model)
    return model
