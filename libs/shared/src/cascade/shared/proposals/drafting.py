"""Pure decisions of the runner before approval: what to propose, or why the run stops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from cascade.shared.canonical import sha256_of, to_jsonable
from cascade.shared.contract import Contract, PreconditionOutcome, entity_ref, what_changes
from cascade.shared.proposals.presentation import proposal_presentation


@dataclass(frozen=True)
class ProposalDraft:
    """The HITL proposal: the exact payload Mike approves and its hash."""

    action_type: str
    entity_ref: str
    approver: str
    payload: dict[str, Any]
    payload_sha256: str
    expires_at: datetime


def blocking_rules(outcomes: list[PreconditionOutcome]) -> list[str]:
    """Names of the `block` preconditions that did not pass."""
    return [o.name for o in outcomes if o.blocks]


def outcome_rows(outcomes: list[PreconditionOutcome]) -> list[dict[str, Any]]:
    """Precondition outcomes as JSON rows (for the proposal and the run log)."""
    return [
        {
            "name": o.name,
            "severity": o.severity,
            "value": o.value,
            "passed": o.passed,
            "message": o.message,
        }
        for o in outcomes
    ]


def draft_proposal(
    contract: Contract,
    run_id: UUID,
    inputs: dict[str, Any],
    values: dict[str, Any],
    context: dict[str, Any],
    outcomes: list[PreconditionOutcome],
    now: datetime,
) -> ProposalDraft:
    """The proposal for a run that passed its blocking preconditions. ``values`` are the
    run's values with its context as stored on the run (what the steps will bind);
    ``payload["presentation"]`` is what Mike reads first (``proposal_presentation``)."""
    if contract.hitl is None:
        raise ValueError(f"{contract.workflow_type} has no hitl gate")
    payload = to_jsonable(
        {
            "workflow_type": contract.workflow_type,
            "contract_version": contract.version,
            "run_id": run_id,
            "inputs": inputs,
            "context": context,
            "preconditions": outcome_rows(outcomes),
            "warnings": [o.name for o in outcomes if not o.passed and o.severity == "warn"],
            "what_changes": [vars(c) for c in what_changes(contract)],
            "presentation": proposal_presentation(contract, values, outcomes),
        }
    )
    return ProposalDraft(
        action_type=contract.hitl.action_type,
        entity_ref=entity_ref(contract, values),
        approver=contract.hitl.approver,
        payload=payload,
        payload_sha256=sha256_of(payload),
        expires_at=now + contract.hitl.expires_after,
    )


def input_errors(exc: ValidationError) -> list[dict[str, str]]:
    """A contract's input validation errors as intake reports them: field path and message."""
    return [
        {"field": ".".join(str(p) for p in ("inputs", *e["loc"])), "message": str(e["msg"])}
        for e in exc.errors()
    ]


NUL = "\x00"
REPLACEMENT = "\ufffd"


def nul_errors(inputs: Mapping[str, Any]) -> list[dict[str, str]]:
    """Inputs holding U+0000, which PostgreSQL text and jsonb cannot store (as intake says)."""
    return [
        {"field": f"inputs.{name}", "message": "must not contain NUL (U+0000) characters"}
        for name, value in inputs.items()
        if NUL in name or without_nul(value) != value
    ]


def without_nul(value: Any) -> Any:
    """`value` with every NUL in its strings (keys included) replaced by U+FFFD, so a request
    that carried one can still be recorded, visibly altered, with its failure."""
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT)
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value
