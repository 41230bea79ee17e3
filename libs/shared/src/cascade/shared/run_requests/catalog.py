"""Which workflow types intake accepts, and how their inputs are checked: the contracts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from cascade.shared.contract import Contract, EmailDraftStep, validate_request
from cascade.shared.contract.inputs import InputSpec
from cascade.shared.contract.templates import template_names
from cascade.shared.run_requests.messages import plain_message
from cascade.shared.run_requests.validation import FieldError, InputValidator


def recipient_inputs(contract: Contract) -> frozenset[str]:
    """Inputs that become an email's `to` (directly or through a derived value): each must
    be a single address, so one field can never address a second recipient."""
    names: set[str] = set()
    for step in contract.fan_out:
        if isinstance(step, EmailDraftStep):
            names |= template_names(step.to)
    for derived in contract.derived:
        if derived.name in names:
            names |= set(derived.args)
    return frozenset(names & {spec.name for spec in contract.inputs})


def contract_input_validator(contracts: Mapping[str, Contract]) -> InputValidator:
    """A validator that checks requests against the given contracts' declared inputs."""
    recipients = {name: recipient_inputs(c) for name, c in contracts.items()}
    specs = {name: {s.name: s for s in c.inputs} for name, c in contracts.items()}

    def validate(workflow_type: str, inputs: Mapping[str, Any]) -> list[FieldError]:
        contract = contracts.get(workflow_type)
        if contract is None:
            listed = ", ".join(sorted(contracts)) or "none"
            return [FieldError("workflow_type", f"unknown workflow type; known: {listed}")]
        try:
            validate_request(workflow_type, contract.inputs, inputs, recipients[workflow_type])
        except ValidationError as exc:
            return [_input_error(specs[workflow_type], e) for e in exc.errors()]
        return []

    return validate


def _input_error(specs: Mapping[str, InputSpec], error: Any) -> FieldError:
    path = ".".join(str(p) for p in ("inputs", *error["loc"]))
    spec = specs.get(str(error["loc"][0])) if error["loc"] else None
    return FieldError(path, plain_message(spec, error))
