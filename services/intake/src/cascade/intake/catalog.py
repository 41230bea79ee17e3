"""Which workflow types intake accepts, and how their inputs are checked: the contracts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from cascade.intake.validation import FieldError, InputValidator
from cascade.shared.contract import Contract, validate_request


def contract_input_validator(contracts: Mapping[str, Contract]) -> InputValidator:
    """A validator that checks requests against the given contracts' declared inputs."""

    def validate(workflow_type: str, inputs: Mapping[str, Any]) -> list[FieldError]:
        contract = contracts.get(workflow_type)
        if contract is None:
            listed = ", ".join(sorted(contracts)) or "none"
            return [FieldError("workflow_type", f"unknown workflow type; known: {listed}")]
        try:
            validate_request(workflow_type, contract.inputs, inputs)
        except ValidationError as exc:
            return [_input_error(e) for e in exc.errors()]
        return []

    return validate


def _input_error(error: Any) -> FieldError:
    path = ".".join(str(p) for p in ("inputs", *error["loc"]))
    return FieldError(path, str(error["msg"]))
