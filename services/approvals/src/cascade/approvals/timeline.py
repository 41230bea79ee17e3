"""One history per run: every recorded fact about a run as one ordered list. Pure, no IO.

Like Temporal's event history, but built from the rows the run page reads already (run,
steps, proposals, audit, ledger events, pushes, emails, verify results, run log, dead
letters): no second source of truth to keep in step. Rows keep only their latest state,
so a step or push shows when it started, how many attempts it took, its last error and how
it ended, not every attempt's own timestamp.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cascade.approvals.dlq_redrive import DLQ_REDRIVEN
from cascade.approvals.push_failures import explain
from cascade.approvals.queries import RunBundle
from cascade.shared.db.models import ApprovalAudit, DeadLetter, ProposedAction
from cascade.shared.db.statuses import (
    CheckStatus,
    EmailJobStatus,
    ProposalStatus,
    PushStatus,
    RunStatus,
    StepStatus,
)
from cascade.shared.push_corrections import APPLIED, PROPOSED, is_correction

Tone = Literal["ok", "fail", "warn", "info"]
EMAIL_ACTION = "propose_email_to_customer"
COMPLETION_PREFIX = "workflow."
_AUDIT_TITLES = {
    ProposalStatus.APPROVED: "Approved",
    ProposalStatus.REJECTED: "Rejected",
    "edited": "Email edited",
    "email_edited": "Email edited",
    "email_resend_requested": "Email resend requested",
    "ns_push_retry_requested": "NetSuite push retry requested",
    PROPOSED: "Correction proposed",
    APPLIED: "Correction applied to the push",
}


@dataclass(frozen=True)
class Entry:
    """One line of the history: when, what, the detail and a link where there is one."""

    at: datetime | None
    title: str
    detail: str = ""
    tone: Tone = "info"
    href: str | None = None


def run_timeline(b: RunBundle) -> list[Entry]:
    """Every fact of the run, oldest first (facts without a time last, in recorded order)."""
    entries = [
        *_run_facts(b),
        *_proposal_facts(b.proposals),
        *_audit_facts(b.audit, {p.id: p for p in b.proposals}),
        *_step_facts(b),
        *_push_facts(b),
        *_email_facts(b),
        *_verify_facts(b),
        *_event_facts(b),
        *_dead_letter_facts(b.dead_letters),
    ]
    indexed = list(enumerate(entries))
    indexed.sort(key=lambda pair: (pair[1].at is None, pair[1].at or datetime.min, pair[0]))
    return [entry for _, entry in indexed]


def _run_facts(b: RunBundle) -> Iterator[Entry]:
    r = b.run
    yield Entry(r.requested_at, "Submitted", f"from {r.source}" if r.source else "")
    if r.context is not None:
        names = ", ".join(sorted(r.context)) or "none"
        # Loaded before the gate proposal is staged (the run's started_at is the fan-out's).
        staged = [p.created_at for p in b.proposals if p.created_at is not None]
        loaded = min(staged, default=r.started_at or r.requested_at)
        yield Entry(loaded, "Context loaded", f"queries: {names}", "ok")
    if b.run_log is not None:
        tone: Tone = "ok" if b.run_log.status == RunStatus.COMPLETED else "fail"
        yield Entry(b.run_log.completed_at, f"Run ended {b.run_log.status}", r.error or "", tone)


def _proposal_facts(proposals: Sequence[ProposedAction]) -> Iterator[Entry]:
    for p in proposals:
        href = f"/proposals/{p.id}"
        for rule in p.payload.get("preconditions") or []:
            if not isinstance(rule, dict):
                continue
            passed = bool(rule.get("passed"))
            severity = str(rule.get("severity") or "")
            tone: Tone = "ok" if passed else ("warn" if severity == "warn" else "fail")
            outcome = "passed" if passed else f"failed ({severity})"
            message = "" if passed else str(rule.get("message") or "")
            yield Entry(p.created_at, f"Precondition {rule.get('name')} {outcome}", message, tone)
        yield Entry(p.created_at, f"{_proposal_kind(p)} staged", f"proposal #{p.id}", href=href)
        if p.status == ProposalStatus.EXPIRED:
            yield Entry(p.decided_at, f"{_proposal_kind(p)} expired", f"#{p.id}", "fail", href)


def _proposal_kind(p: ProposedAction) -> str:
    if p.action_type == EMAIL_ACTION:
        return "Email draft"
    if is_correction(p.action_type):
        return "Push correction"
    return "Proposal"


def _audit_facts(
    audit: Sequence[ApprovalAudit], proposals: dict[int, ProposedAction]
) -> Iterator[Entry]:
    for a in audit:
        if a.decision == DLQ_REDRIVEN:
            yield Entry(a.created_at, f"Dead letter redriven by {a.actor}", a.reason or "", "warn")
            continue
        if a.proposal_id is None:  # `run_started`: Mike's Execute form, before any proposal
            yield Entry(a.created_at, f"Started by {a.actor} from the Execute form", a.reason or "")
            continue
        title = _AUDIT_TITLES.get(a.decision, a.decision.replace("_", " ").capitalize())
        p = proposals.get(a.proposal_id)
        what = f"{_proposal_kind(p).lower() if p is not None else 'proposal'} #{a.proposal_id}"
        tones: dict[str, Tone] = {
            ProposalStatus.APPROVED: "ok",
            ProposalStatus.REJECTED: "fail",
            APPLIED: "ok",
        }
        tone = tones.get(a.decision, "info")
        comment = f": “{a.reason}”" if a.reason else ""
        detail = f"{what} by {a.actor}, version {a.version}{comment}"
        yield Entry(a.created_at, title, detail, tone, f"/proposals/{a.proposal_id}")


def _step_facts(b: RunBundle) -> Iterator[Entry]:
    for s in b.steps:
        if s.started_at is not None:
            yield Entry(s.started_at, f"Step {s.step_id} started")
        if s.attempts > 1 or (s.last_error and s.status != StepStatus.FAILED):
            error = f"; last error: {s.last_error}" if s.last_error else ""
            yield Entry(
                s.finished_at or s.started_at,
                f"Step {s.step_id} retried",
                f"{s.attempts} attempt(s){error}",
                "warn",
            )
        if s.status == StepStatus.DONE:
            yield Entry(s.finished_at, f"Step {s.step_id} done", "", "ok")
        elif s.status == StepStatus.FAILED:
            yield Entry(s.finished_at, f"Step {s.step_id} failed", s.last_error or "", "fail")
        elif s.status == StepStatus.SKIPPED:
            yield Entry(s.finished_at, f"Step {s.step_id} skipped", s.last_error or "")


def _push_facts(b: RunBundle) -> Iterator[Entry]:
    for n in b.pushes:
        what = f"{n.record_type} {n.external_id}"
        yield Entry(n.created_at, f"NetSuite push #{n.id} staged", what)
        if n.status == PushStatus.APPLIED:
            detail = f"{what} is NetSuite id {n.netsuite_id} after {n.attempts} attempt(s)"
            yield Entry(n.applied_at, f"NetSuite confirmed push #{n.id}", detail, "ok")
        elif n.status == PushStatus.FAILED:
            failure = explain(n.record_type, n.last_error)
            title = f"NetSuite push #{n.id} failed"
            yield Entry(
                n.updated_at, title, f"{failure.sentence} ({n.attempts} attempt(s))", "fail"
            )
        elif n.last_error:
            detail = f"attempt {n.attempts} failed: {n.last_error}; trying again"
            yield Entry(n.updated_at, f"NetSuite push #{n.id} retrying", detail, "warn")


def _email_facts(b: RunBundle) -> Iterator[Entry]:
    for e in b.emails:
        href = f"/proposals/{e.proposal_id}"
        yield Entry(e.created_at, "Email approved and queued", f"to {e.recipient}", href=href)
        if e.status == EmailJobStatus.SENT:
            detail = f"to {e.recipient}, {e.message_id}: {e.smtp_response or ''}".rstrip(": ")
            yield Entry(e.sent_at, "Email sent", detail, "ok", href)
        elif e.status == EmailJobStatus.FAILED:
            detail = f"to {e.recipient} after {e.attempts} attempt(s): {e.last_error}"
            yield Entry(e.updated_at, "Email failed", detail, "fail", href)
        elif e.last_error:
            detail = f"attempt {e.attempts}: {e.last_error}; trying again"
            yield Entry(e.updated_at, "Email send retrying", detail, "warn", href)
    queued = {e.proposal_id for e in b.emails}
    for s in b.sends:
        if s.proposal_id not in queued:
            detail = f"to {s.recipient}, {s.message_id}"
            yield Entry(s.sent_at, "Email sent", detail, "ok", f"/proposals/{s.proposal_id}")


def _verify_facts(b: RunBundle) -> Iterator[Entry]:
    for v in b.verify_results:
        if v.status in (CheckStatus.PENDING, CheckStatus.RUNNING):
            yield Entry(v.created_at, f"Check {v.check_name} scheduled", f"due {v.due_at:%H:%M:%S}")
            continue
        tones: dict[str, Tone] = {CheckStatus.PASS: "ok", CheckStatus.SKIPPED: "info"}
        tone = tones.get(v.status, "fail")
        reason = str((v.detail or {}).get("reason") or "")
        yield Entry(
            v.executed_at or v.created_at, f"Check {v.check_name}: {v.status}", reason, tone
        )


def _event_facts(b: RunBundle) -> Iterator[Entry]:
    for e in b.events:
        data: dict[str, Any] = e.data or {}
        if e.type == "workflow.alert":
            if data.get("reason") == "approval_overdue":
                yield Entry(e.created_at, "Reminded", str(data.get("detail") or ""), "warn")
            continue
        if e.type.startswith(COMPLETION_PREFIX):
            status = str(data.get("status") or e.type.removeprefix(COMPLETION_PREFIX))
            tone: Tone = "ok" if status == RunStatus.COMPLETED else "fail"
            # The reason is the run's error, told once by "Run ended".
            yield Entry(e.created_at, f"Completion event: {status}", e.type, tone)


def _dead_letter_facts(letters: Sequence[DeadLetter]) -> Iterator[Entry]:
    for d in letters:
        what = f"a {_event_type(d)} message after {d.attempts} try(ies)"
        detail = f"{d.consumer} gave up on {what}: {d.error}"
        yield Entry(d.created_at, "Message dead-lettered", detail, "fail")


def _event_type(d: DeadLetter) -> str:
    try:
        parsed = json.loads(d.payload)
    except (ValueError, UnicodeDecodeError):
        return d.topic
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    return str(kind) if kind else d.topic
