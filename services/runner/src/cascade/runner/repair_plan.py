"""Repairs of failed verify checks, the pure part: action types, the drift, the proposal.

A check that fails and declares `repair:` in its contract gets one repair per failing
round. The proposal Mike approves shows the drift (what the check expected, what it
found) and what the repair does (the steps it runs again); `proposed_actions` is unique per
(run, action type), so the action type names the check and the round:
`repair_check:<check>:<round>`. No IO.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from cascade.shared.canonical import sha256_of, to_jsonable
from cascade.shared.contract import Contract, Repair, step_changes
from cascade.shared.proposals.drafting import ProposalDraft

ACTION_PREFIX = "repair_check:"
PAYLOAD_KIND = "verify_repair"
_ACTION = re.compile(r"^repair_check:([A-Za-z_][A-Za-z0-9_]*):(\d+)$")
# The row's detail keys that describe the verifier's bookkeeping, not what it found.
_BOOKKEEPING = frozenset({"history", "attempt", "by", "verdict", "duration_ms"})


def action_type(check_name: str, round_number: int) -> str:
    """The action type of the repair of `check_name`'s failure in round `round_number`."""
    return f"{ACTION_PREFIX}{check_name}:{round_number}"


def parse_action(action: str) -> tuple[str, int] | None:
    """(check name, round) of a repair's action type, or None for any other proposal."""
    match = _ACTION.match(action)
    return None if match is None else (match.group(1), int(match.group(2)))


@dataclass(frozen=True)
class Drift:
    """What a failed check expected and what it found, as the verifier recorded it."""

    check_name: str
    kind: str
    round: int
    reason: str
    expected: dict[str, Any]
    found: dict[str, Any]


def drift_of(
    check_name: str,
    kind: str,
    round_number: int,
    spec: Mapping[str, Any],
    detail: Mapping[str, Any] | None,
) -> Drift:
    """The drift from a failed check's row: its spec (expected) and its last detail (found)."""
    found = {k: v for k, v in (detail or {}).items() if k not in _BOOKKEEPING | {"reason"}}
    expected = {k: v for k, v in spec.items() if k != "kind"}
    reason = str((detail or {}).get("reason") or "the check failed")
    return Drift(check_name, kind, round_number, reason, expected, found)


def _summary(drift: Drift) -> list[dict[str, str]]:
    expected = drift.expected
    pairs = [("Check", f"{drift.check_name} ({drift.kind}), round {drift.round}")]
    pairs.append(("Found", drift.reason))
    for label, key in (("Object", "key"), ("Expected sha256", "sha256")):
        if key in expected:
            pairs.append((label, str(expected[key])))
    if "sha256" in drift.found:
        pairs.append(("Found sha256", str(drift.found["sha256"])))
    return [{"label": label, "value": value} for label, value in pairs]


def repair_payload(
    contract: Contract, run_id: uuid.UUID, title: str | None, repair: Repair, drift: Drift
) -> dict[str, Any]:
    """The payload Mike approves: the drift, the steps run again and their effects, and the
    presentation the decision desk shows first."""
    steps = [contract.step(step_id) for step_id in repair.rerun]
    changes = [
        {
            "step": step.id,
            "system": change.system,
            "resource": change.resource,
            "says": f"{step.id}: {change.action} (again)",
        }
        for step in steps
        for change in step_changes(step, f"repair of {drift.check_name}")
    ]
    plumbing = [
        asdict(change) for step in steps for change in step_changes(step, f"repair ({step.id})")
    ]
    subject = title or f"{contract.workflow_type} run {run_id}"
    says = repair.says or f"run {', '.join(repair.rerun)} again"
    sentence = f"Repair {subject}: check {drift.check_name} failed ({drift.reason}). {says}"
    payload: dict[str, Any] = to_jsonable(
        {
            "kind": PAYLOAD_KIND,
            "workflow_type": contract.workflow_type,
            "contract_version": contract.version,
            "run_id": run_id,
            "check_name": drift.check_name,
            "round": drift.round,
            "rerun": list(repair.rerun),
            "drift": asdict(drift),
            "what_changes": plumbing,
            "presentation": {
                "title": f"Repair: {subject}",
                "sentence": sentence,
                "summary": _summary(drift),
                "changes": changes,
                "plumbing": plumbing,
                "warnings": [],
                "queries": [],
            },
        }
    )
    return payload


def draft_repair(
    contract: Contract,
    run_id: uuid.UUID,
    title: str | None,
    repair: Repair,
    drift: Drift,
    now: datetime,
) -> ProposalDraft:
    """The repair as a proposal for the contract's approver, expiring like its gate."""
    if contract.hitl is None:
        raise ValueError(f"{contract.workflow_type} has no approver for a repair")
    payload = repair_payload(contract, run_id, title, repair, drift)
    return ProposalDraft(
        action_type=action_type(drift.check_name, drift.round),
        entity_ref=f"repair:{drift.check_name}:{run_id}",
        approver=contract.hitl.approver,
        payload=payload,
        payload_sha256=sha256_of(payload),
        expires_at=now + contract.hitl.expires_after,
    )
