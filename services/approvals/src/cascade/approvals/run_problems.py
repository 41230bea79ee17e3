"""What went wrong in a run, in plain words, with what Mike can do: the run page's top. No IO."""

from __future__ import annotations

from dataclasses import dataclass

from cascade.approvals.push_failures import action_hint, explain
from cascade.approvals.queries import RunBundle
from cascade.shared.db.statuses import (
    CheckStatus,
    EmailJobStatus,
    PushStatus,
    RunStatus,
    StepStatus,
)
from cascade.shared.push_corrections import ACTION_PREFIX

ENDED_BADLY = {
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.BLOCKED,
    RunStatus.EXPIRED,
    RunStatus.REJECTED,
}


@dataclass(frozen=True)
class Problem:
    """One failed effect: what failed and why, and the action offered for it."""

    sentence: str
    action: str
    push_id: int | None = None
    correctable: bool = False
    href: str | None = None
    resolved: bool = False


def corrections_of(b: RunBundle, push_id: int) -> list[int]:
    """The ids of the correction proposals of one push, oldest first."""
    prefix = f"{ACTION_PREFIX}{push_id}:"
    return [p.id for p in b.proposals if p.action_type.startswith(prefix)]


def run_problems(b: RunBundle) -> list[Problem]:
    """Every failed effect of the run, and corrected pushes that have since been applied."""
    problems: list[Problem] = []
    for n in b.pushes:
        corrected = corrections_of(b, n.id)
        if n.status == PushStatus.FAILED:
            failure = explain(n.record_type, n.last_error)
            problems.append(
                Problem(failure.sentence, action_hint(failure), n.id, failure.correctable)
            )
        elif n.status == PushStatus.APPLIED and corrected and b.run.status in ENDED_BADLY:
            sentence = (
                f"NetSuite push #{n.id} was corrected (proposal #{corrected[-1]}) and applied: "
                f"{n.record_type} {n.external_id} is NetSuite id {n.netsuite_id}"
            )
            problems.append(
                Problem(
                    sentence,
                    "Nothing left to do for this push.",
                    n.id,
                    href=f"/proposals/{corrected[-1]}",
                    resolved=True,
                )
            )
    pushed = {f"{n.id}" for n in b.pushes}
    for s in b.steps:
        if s.status != StepStatus.FAILED:
            continue
        if str((s.output or {}).get("push_id")) in pushed:
            continue  # told by its push, in NetSuite's words
        problems.append(
            Problem(
                f"Step {s.step_id} failed: {s.last_error or 'no error recorded'}",
                "Look at the step below; the run will not retry it on its own.",
            )
        )
    for e in b.emails:
        if e.status == EmailJobStatus.FAILED:
            problems.append(
                Problem(
                    f"The email to {e.recipient} was not sent: {e.last_error}",
                    "Resend it from its proposal (same Message-ID, sent at most once).",
                    href=f"/proposals/{e.proposal_id}",
                )
            )
    for v in b.verify_results:
        if v.status in (CheckStatus.FAIL, CheckStatus.TIMEOUT):
            reason = (v.detail or {}).get("reason") or v.status
            problems.append(
                Problem(
                    f"Check {v.check_name} did not pass: {reason}",
                    "Compare the mirror and NetSuite for this record.",
                )
            )
    for d in b.dead_letters:
        problems.append(
            Problem(
                f"A {d.topic} message about this run was dead-lettered by {d.consumer}: {d.error}",
                f"Once the cause is fixed, an operator redrives it: cascade dlq redrive {d.id}.",
            )
        )
    if not problems and b.run.status in ENDED_BADLY and b.run.error:
        problems.append(Problem(f"The run ended {b.run.status}: {b.run.error}", _ended_hint(b)))
    return problems


def _ended_hint(b: RunBundle) -> str:
    if b.run.status == RunStatus.BLOCKED:
        return "Nothing was written; look at the matching customer before submitting again."
    if b.run.status == RunStatus.REJECTED:
        return "Nothing was written."
    return "Nothing more will happen on its own."
