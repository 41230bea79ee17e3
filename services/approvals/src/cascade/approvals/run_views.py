"""Pure shaping of one run and everything recorded about it into the API's JSON."""

from __future__ import annotations

from cascade.approvals.queries import RunBundle
from cascade.approvals.run_problems import run_problems
from cascade.approvals.timeline import run_timeline
from cascade.approvals.views import Json, iso, run_item, uid
from cascade.shared.db.models import (
    EmailJob,
    EventRecord,
    NsPendingPush,
    ReflexionEntry,
    VerifyResult,
    WorkflowRunLog,
    WorkflowRunStep,
)


def run_detail(b: RunBundle) -> Json:
    """A run with its steps, proposals, events, NetSuite pushes, checks, log and narrative,
    what failed and why, and its one history (the run page's `#run-problems`, `#timeline`)."""
    return {
        **run_item(b.run),
        "contract_version": b.run.contract_version,
        "source": b.run.source,
        "inputs": b.run.inputs,
        "context": b.run.context,
        "created_at": iso(b.run.created_at),
        "updated_at": iso(b.run.updated_at),
        "steps": [step_row(s) for s in b.steps],
        "proposals": [
            {"id": p.id, "action_type": p.action_type, "status": p.status} for p in b.proposals
        ],
        "events": [event_row(e) for e in b.events],
        "netsuite_pushes": [push_row(p) for p in b.pushes],
        "verify_results": [verify_row(v) for v in b.verify_results],
        "emails": [email_row(e) for e in b.emails],
        "run_log": run_log_row(b.run_log),
        "reflexion": reflexion_row(b.reflexion),
        "problems": [
            {
                "sentence": p.sentence,
                "action": p.action,
                "push_id": p.push_id,
                "correctable": p.correctable,
                "resolved": p.resolved,
            }
            for p in run_problems(b)
        ],
        "timeline": [
            {"at": iso(e.at), "title": e.title, "detail": e.detail, "tone": e.tone}
            for e in run_timeline(b)
        ],
    }


def step_row(s: WorkflowRunStep) -> Json:
    """One fan-out step: status, attempts and the last error."""
    return {
        "step_id": s.step_id,
        "status": s.status,
        "attempts": s.attempts,
        "last_error": s.last_error,
        "output": s.output,
        "next_attempt_at": iso(s.next_attempt_at),
        "started_at": iso(s.started_at),
        "finished_at": iso(s.finished_at),
    }


def event_row(e: EventRecord) -> Json:
    """One fact of the event ledger."""
    return {
        "id": uid(e.id),
        "type": e.type,
        "idempotency_key": e.idempotency_key,
        "data": e.data,
        "created_at": iso(e.created_at),
    }


def push_row(p: NsPendingPush) -> Json:
    """One NetSuite write and how far it got."""
    return {
        "id": p.id,
        "record_type": p.record_type,
        "external_id": p.external_id,
        "status": p.status,
        "attempts": p.attempts,
        "last_error": p.last_error,
        "netsuite_id": p.netsuite_id,
        "next_attempt_at": iso(p.next_attempt_at),
        "applied_at": iso(p.applied_at),
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def email_row(e: EmailJob) -> Json:
    """One approved email and how far its sending got."""
    return {
        "proposal_id": e.proposal_id,
        "recipient": e.recipient,
        "message_id": e.message_id,
        "status": e.status,
        "attempts": e.attempts,
        "last_error": e.last_error,
        "next_attempt_at": iso(e.next_attempt_at),
        "smtp_response": e.smtp_response,
        "sent_at": iso(e.sent_at),
    }


def verify_row(v: VerifyResult) -> Json:
    """One delayed check and its outcome."""
    return {
        "check_name": v.check_name,
        "kind": v.kind,
        "status": v.status,
        "attempts": v.attempts,
        "detail": v.detail,
        "due_at": iso(v.due_at),
        "deadline_at": iso(v.deadline_at),
        "executed_at": iso(v.executed_at),
    }


def run_log_row(log: WorkflowRunLog | None) -> Json | None:
    """The runner's summary of a finished run, if written."""
    if log is None:
        return None
    return {
        "status": log.status,
        "started_at": iso(log.started_at),
        "completed_at": iso(log.completed_at),
        "summary": log.summary_json,
    }


def reflexion_row(entry: ReflexionEntry | None) -> Json | None:
    """The narrative of the run, if written."""
    if entry is None:
        return None
    return {"narrative": entry.narrative, "tags": entry.tags, "created_at": iso(entry.created_at)}
