"""What an HTML form of a contract's inputs sends, read the way people write it (pure): the
sales form on intake and the Execute form on the approvals page read values alike.

People write amounts as "12,000.50"; a form takes well-formed grouping commas out before
the shared check (`ungrouped`). The JSON API does not: a machine sends a number or a plain
decimal string, and a comma there is ambiguous (12,000 is twelve in much of Europe)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cascade.shared.contract import Contract
from cascade.shared.contract.inputs import (
    DateInput,
    DecimalInput,
    EmailInput,
    InputSpec,
    IntegerInput,
    PhoneInput,
    StringInput,
)
from cascade.shared.run_requests.validation import (
    FieldError,
    InputValidator,
    RunRequest,
    check_request,
)

# Grouping commas are only taken out where they separate groups of three digits.
GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
BAD_GROUPING = (
    "Write the amount in digits, e.g. 12000.50 or 12,000.50 (commas only between groups of "
    "three digits, a point before the cents)."
)


def ungrouped(value: str) -> str | None:
    """An amount without its grouping commas ("12,000.50" -> "12000.50"), the value itself
    when it has none, or None when its commas are not grouping (pure)."""
    if "," not in value:
        return value
    return value.replace(",", "") if GROUPED.fullmatch(value) else None


def amounts_ungrouped(
    contract: Contract, fields: Mapping[str, str]
) -> tuple[dict[str, str], list[FieldError]]:
    """The form's decimal fields without grouping commas, and a problem for each whose
    commas are not grouping (those are left out of the inputs)."""
    inputs, problems = dict(fields), []
    for spec in contract.inputs:
        if isinstance(spec, DecimalInput) and spec.name in inputs:
            plain = ungrouped(inputs[spec.name])
            if plain is None:
                del inputs[spec.name]
                problems.append(FieldError(f"inputs.{spec.name}", BAD_GROUPING))
            else:
                inputs[spec.name] = plain
    return inputs, problems


def filled(fields: Mapping[str, str], contract: Contract) -> dict[str, str]:
    """The contract's inputs among a form's fields, trimmed; a blank field means 'absent'
    (its default applies, or the check says it is missing)."""
    names = {spec.name for spec in contract.inputs}
    return {k: v.strip() for k, v in fields.items() if k in names and v.strip()}


def form_request(
    contract: Contract, inputs: Mapping[str, str], source: str, validate: InputValidator
) -> RunRequest | list[FieldError]:
    """A form's input values as a checked request of `contract`, or every problem: the
    grouping of amounts, then the same `check_request` as every other path."""
    plain, bad_amounts = amounts_ungrouped(contract, inputs)
    request = check_request(
        {"workflow_type": contract.workflow_type, "inputs": plain, "source": source}, validate
    )
    if bad_amounts or isinstance(request, list):
        return bad_amounts + (request if isinstance(request, list) else [])
    return request


def input_attributes(spec: InputSpec) -> dict[str, str]:
    """The HTML type and keyboard of an input: email, tel, decimal, ... (pure). A plain
    string named like an email address gets the email keyboard too; forms are sent with
    `novalidate`, so the server's messages, not the browser's, decide what is refused."""
    if isinstance(spec, EmailInput) or (
        isinstance(spec, StringInput) and spec.name.endswith("email")
    ):
        return {"type": "email", "autocomplete": "email", "spellcheck": "false"}
    if isinstance(spec, PhoneInput):
        return {"type": "tel", "autocomplete": "tel"}
    if isinstance(spec, DecimalInput):
        return {"type": "text", "inputmode": "decimal", "autocomplete": "off"}
    if isinstance(spec, IntegerInput):
        return {"type": "text", "inputmode": "numeric", "autocomplete": "off"}
    if isinstance(spec, DateInput):
        return {"type": "date"}
    return {"type": "text"}


def field_messages(errors: list[FieldError]) -> dict[str, str]:
    """Errors by input name, for display next to each field ("" for the form as a whole)."""
    shown: dict[str, str] = {}
    for error in errors:
        name = error.field.removeprefix("inputs.")
        shown.setdefault(name if "." not in name else "", error.message)
    return shown


def errors_in_field_order(contract: Contract, errors: dict[str, str]) -> dict[str, str]:
    """The errors in the order of the fields on the page (the form's own error first), so
    the summary at the top reads like the form."""
    order = ["", *(spec.name for spec in contract.inputs)]
    return dict(sorted(errors.items(), key=lambda e: order.index(e[0]) if e[0] in order else 0))
