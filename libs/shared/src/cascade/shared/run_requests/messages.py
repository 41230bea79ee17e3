"""Plain-language messages for refused inputs: what to write instead, never a regex (pure).

Every path into intake (API, form, `intake.requested`) reports the same words; the field
path stays the machine-readable part."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cascade.shared.contract.inputs import EnumInput, InputSpec, PhoneInput

PHONE = "Enter a phone number of 5–32 characters: digits, spaces, +, ( ), . and - are fine."
AMOUNT = "Enter an amount in digits with an optional decimal point, e.g. 12000.50."


def label(name: str) -> str:
    """An input's name as the form labels it: `contact_email` -> `Contact email`."""
    return name.replace("_", " ").capitalize()


def _number(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):,}"
    except ArithmeticError:
        return str(value)


def plain_message(spec: InputSpec | None, error: Mapping[str, Any]) -> str:
    """What a person should do about one pydantic error on one input."""
    kind, ctx = str(error.get("type", "")), error.get("ctx") or {}
    name = label(spec.name).lower() if spec is not None else "value"
    given = error.get("input")
    if kind in ("missing", "string_too_short"):
        return f"Enter the {name}."
    if kind == "string_too_long":
        size = f" (this has {len(given)})" if isinstance(given, str) else ""
        return f"Use at most {ctx.get('max_length')} characters{size}."
    if kind == "string_pattern_mismatch":
        if isinstance(spec, PhoneInput):
            return PHONE
        hint = f": {spec.hint}" if spec is not None and spec.hint else "."
        return f"This is not in the expected form{hint}"
    if kind in ("decimal_parsing", "decimal_type", "finite_number"):
        return AMOUNT
    if kind == "decimal_max_places":
        return f"Use at most {ctx.get('decimal_places')} decimal places."
    if kind == "decimal_whole_digits":
        return f"Use at most {ctx.get('whole_digits')} digits before the decimal point."
    if kind == "decimal_max_digits":
        return f"Use at most {ctx.get('max_digits')} digits in all."
    if kind in ("greater_than_equal", "greater_than"):
        return f"Enter {_number(ctx.get('ge', ctx.get('gt')))} or more."
    if kind in ("less_than_equal", "less_than"):
        return f"Enter {_number(ctx.get('le', ctx.get('lt')))} or less."
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "Enter a whole number in digits, e.g. 12."
    if kind == "literal_error" and isinstance(spec, EnumInput):
        return "Choose one of: " + ", ".join(spec.values) + "."
    if kind.startswith("date"):
        return "Enter a date as YYYY-MM-DD, e.g. 2026-12-01."
    if kind.startswith("bool"):
        return "Choose true or false."
    if kind == "string_type":
        return "Enter this as text."
    if kind == "extra_forbidden":
        return "This workflow has no such field."
    if kind == "value_error":
        # Our own validators (text_rules) already speak plainly; pydantic prefixes them.
        text = str(error.get("msg", "")).removeprefix("Value error, ")
        return text[:1].upper() + text[1:] + ("" if text.endswith((".", ")")) else ".")
    return str(error.get("msg", "is not valid"))
