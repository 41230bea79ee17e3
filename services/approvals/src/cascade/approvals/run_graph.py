"""How a run got on at each node of its contract's graph, all six lanes. Pure, no IO.

Statuses from the database are mapped onto the graph's fixed list (`NodeState.status`);
anything unknown becomes `pending`, so no stored string ever reaches the SVG's classes.
"""

from __future__ import annotations

from typing import Any

from cascade.approvals import fmt
from cascade.approvals.queries import RunBundle
from cascade.approvals.timeline import COMPLETION_PREFIX
from cascade.shared.contract import Contract, NodeState
from cascade.shared.contract.graph import Status
from cascade.shared.db.statuses import (
    CheckStatus,
    ProposalStatus,
    PushStatus,
    RunStatus,
    StepStatus,
)

_STEP: dict[str, Status] = {
    StepStatus.WAITING_NEEDS: "pending",
    StepStatus.READY: "pending",
    StepStatus.RETRYING: "running",
    StepStatus.AWAITING_RESULT: "running",
    StepStatus.DONE: "done",
    StepStatus.FAILED: "failed",
    StepStatus.SKIPPED: "skipped",
}
_VERIFY: dict[str, Status] = {
    CheckStatus.PENDING: "waiting",
    CheckStatus.RUNNING: "running",
    CheckStatus.PASS: "done",
    CheckStatus.FAIL: "failed",
    CheckStatus.TIMEOUT: "failed",
    CheckStatus.SKIPPED: "skipped",
}
_GATE: dict[str, Status] = {
    ProposalStatus.PENDING: "waiting",
    ProposalStatus.APPROVED: "done",
    ProposalStatus.REJECTED: "failed",
    ProposalStatus.EXPIRED: "failed",
}


def node_states(b: RunBundle, contract: Contract) -> dict[str, NodeState]:
    """Each node's state in this run, keyed like the graph's nodes (`step:write_ns`)."""
    run = b.run
    states: dict[str, NodeState] = {
        "trigger": NodeState("done", f"submitted {fmt.when(run.requested_at)}"),
    }
    context = run.context or {}
    for q in contract.context:
        if q.name in context:
            states[f"context:{q.name}"] = NodeState("done", _rows(context[q.name]))
        else:
            states[f"context:{q.name}"] = NodeState("pending")
    states.update(_rules(b, contract))
    states["hitl"] = _gate(b, contract)
    applied = {str(n.id) for n in b.pushes if n.status == PushStatus.APPLIED}
    for s in b.steps:
        error = f"; last error: {s.last_error}" if s.last_error else ""
        status = _STEP.get(s.status, "pending")
        fixed = s.status == StepStatus.FAILED and str((s.output or {}).get("push_id")) in applied
        # The run keeps its history (the step failed); the node also says it was put right.
        note = "push corrected, now applied" if fixed else ""
        states[f"step:{s.step_id}"] = NodeState(status, f"{s.attempts} attempt(s){error}", note)
    for step in contract.fan_out:
        states.setdefault(f"step:{step.id}", NodeState("pending"))
    ended = any(
        e.type.startswith(COMPLETION_PREFIX) and e.type != "workflow.alert" for e in b.events
    )
    states["post:log_run"] = _done_if(b.run_log is not None, "workflow_run_log written")
    states["post:reflexion"] = _done_if(b.reflexion is not None, "narrative written")
    states["post:event"] = _done_if(ended, f"run ended {run.status}")
    checks = {v.check_name: v for v in b.verify_results}
    for c in contract.verify:
        row = checks.get(c.name)
        if row is None:
            states[f"verify:{c.name}"] = NodeState("pending")
        else:
            reason = str((row.detail or {}).get("reason") or row.status)
            states[f"verify:{c.name}"] = NodeState(_VERIFY.get(row.status, "pending"), reason)
    return states


def _rows(value: Any) -> str:
    return f"{len(value)} row(s)" if isinstance(value, list) else f"value {value!r}"


def _done_if(done: bool, detail: str) -> NodeState:
    return NodeState("done", detail) if done else NodeState("pending")


def _rules(b: RunBundle, contract: Contract) -> dict[str, NodeState]:
    """From the gate proposal's evaluated preconditions, else the completion event's failed
    rules (a run blocked before any proposal)."""
    gate = _gate_proposal(b, contract)
    evaluated = {
        str(r.get("name")): r
        for r in ((gate.payload.get("preconditions") if gate else None) or [])
        if isinstance(r, dict)
    }
    failed_rules: set[str] = set()
    for e in b.events:
        if e.type.startswith(COMPLETION_PREFIX):
            failed_rules |= {str(n) for n in (e.data or {}).get("failed_rules") or []}
    states: dict[str, NodeState] = {}
    for p in contract.preconditions:
        key = f"rule:{p.name}"
        found = evaluated.get(p.name)
        if p.name in failed_rules:
            states[key] = NodeState("failed", "blocked the run")
        elif found is not None:
            if found.get("passed"):
                states[key] = NodeState("done", "passed")
            else:
                status: Status = "warned" if found.get("severity") == "warn" else "failed"
                states[key] = NodeState(status, str(found.get("message") or "did not pass"))
        elif b.run.context is not None:
            states[key] = NodeState("done", "passed")
        else:
            states[key] = NodeState("pending")
    return states


def _gate_proposal(b: RunBundle, contract: Contract) -> Any:
    action = contract.hitl.action_type if contract.hitl else None
    return next((p for p in b.proposals if p.action_type == action), None)


def _gate(b: RunBundle, contract: Contract) -> NodeState:
    if contract.hitl is None or not contract.requires_approval:
        return NodeState("skipped", "no approval gate")
    p = _gate_proposal(b, contract)
    if p is None:
        status: Status = "skipped" if b.run.status == RunStatus.BLOCKED else "pending"
        return NodeState(status, b.run.error or "no proposal")
    who = f" by {p.decided_by} at {fmt.when(p.decided_at)}" if p.decided_by else ""
    reason = f": {p.decision_reason}" if p.decision_reason else ""
    note = f"{p.status} by {p.decided_by} {p.decided_at:%H:%M} UTC" if p.decided_at else ""
    return NodeState(_GATE.get(p.status, "pending"), f"{p.status}{who}{reason}", note)
