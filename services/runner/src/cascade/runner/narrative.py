"""Pure text of what a run did: the run-log summary and the reflexion narrative."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any


def summary(
    status: str,
    steps: Mapping[str, Mapping[str, Any]],
    started_at: datetime | None,
    completed_at: datetime,
    reason: str | None,
) -> dict[str, Any]:
    """`summary_json` of the run log: step counts, duration, errors."""
    counts = Counter(str(s["status"]) for s in steps.values())
    errors = {name: s["last_error"] for name, s in steps.items() if s.get("last_error")}
    duration = (completed_at - started_at).total_seconds() if started_at else None
    return {
        "status": status,
        "steps_total": len(steps),
        "step_counts": dict(sorted(counts.items())),
        "attempts": {name: s.get("attempts", 0) for name, s in steps.items()},
        "duration_s": duration,
        "errors": errors,
        "reason": reason,
    }


def narrative(
    workflow_type: str,
    subject: str | None,
    status: str,
    steps: Mapping[str, Mapping[str, Any]],
    reason: str | None,
) -> str:
    """A readable account of the run for later runs and for Mike."""
    who = f" for {subject}" if subject else ""
    lines = [f"Run of {workflow_type}{who} ended {status}."]
    if reason:
        lines.append(f"Why: {reason}.")
    for name, step in steps.items():
        attempts = step.get("attempts", 0)
        line = f"- {name}: {step['status']} after {attempts} attempt(s)"
        if step.get("last_error"):
            line += f"; last error: {step['last_error']}"
        lines.append(line + ".")
    if not steps:
        lines.append("No side effect was attempted.")
    return "\n".join(lines)
