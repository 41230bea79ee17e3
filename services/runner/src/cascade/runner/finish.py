"""The post actions of every run: run log, reflexion, event ledger + terminal event, verify rows."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from cascade.runner.narrative import narrative, summary
from cascade.runner.repositories import Checks, Runs
from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import AnyCheck, Contract, EventPost, bind, event_key
from cascade.shared.contract.templates import render_text
from cascade.shared.db.models import (
    EventRecord,
    ReflexionEntry,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)
from cascade.shared.db.rows import Rows
from cascade.shared.db.statuses import CheckStatus, RunStatus
from cascade.shared.db.uow import AbstractUnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import WorkflowEnded
from cascade.shared.proposals.context_reader import subject_of
from cascade.shared.topics import Topic, topic_name

log = logging.getLogger(__name__)
SOURCE = "cascade.runner"
# The terminal event each run status emits: exactly one per run.
EVENT_OF_STATUS = {
    RunStatus.COMPLETED: Topic.WORKFLOW_COMPLETED,
    RunStatus.PARTIAL: Topic.WORKFLOW_PARTIAL,
    RunStatus.FAILED: Topic.WORKFLOW_FAILED,
    RunStatus.BLOCKED: Topic.WORKFLOW_FAILED,
    RunStatus.REJECTED: Topic.WORKFLOW_FAILED,
    RunStatus.EXPIRED: Topic.WORKFLOW_FAILED,
}
VERIFIED_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.PARTIAL})


class EndWork(AbstractUnitOfWork, Protocol):
    """What ending a run writes besides the run row: its log line, its reflexion, its one
    terminal event (in the ledger and the outbox) and its verify checks."""

    runs: Runs
    run_logs: Rows[WorkflowRunLog]
    reflexions: Rows[ReflexionEntry]
    events: Rows[EventRecord]
    """The event ledger: its unique key makes a second end of the same run fail loudly."""
    checks: Checks


@dataclass(frozen=True)
class Ending:
    """How a run ends and why."""

    status: RunStatus
    reason: str | None = None
    failed_rules: list[str] = field(default_factory=list)
    # Per-field problems of a request whose inputs failed the contract (`field`, `message`).
    input_errors: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class FinishContext:
    """What finishing needs besides the unit of work."""

    topic_prefix: str
    verify_window_scale: float
    now: datetime


async def finish_run(
    uow: EndWork,
    run: WorkflowRun,
    contract: Contract,
    values: Mapping[str, object],
    ending: Ending,
    ctx: FinishContext,
    rows: Mapping[str, WorkflowRunStep] | None = None,
) -> None:
    """Write every post action of the run's end in the caller's transaction (exactly once:
    the caller holds the run row locked and checked it was not finished). `rows`: the run's
    step rows when the caller holds them already (saves reading them again)."""
    steps = _step_views(rows if rows is not None else await uow.runs.steps(run.run_id))
    run.status, run.completed_at, run.updated_at = ending.status, ctx.now, ctx.now
    run.error = ending.reason
    run_summary = to_jsonable(summary(ending.status, steps, run.started_at, ctx.now, ending.reason))
    if ending.input_errors:
        run_summary["input_errors"] = ending.input_errors
    uow.run_logs.add(
        WorkflowRunLog(
            run_id=run.run_id,
            workflow_type=run.workflow_type,
            status=ending.status,
            started_at=run.started_at or run.requested_at,
            completed_at=ctx.now,
            summary_json=run_summary,
        )
    )
    # Once per run, the line an operator greps for (it carries the run's id and type).
    log.info("run %s ended %s", run.run_id, ending.status)
    plan = contract.post_plan()
    if plan.reflexion is not None:
        _add_reflexion(uow, run, values, ending, steps, plan.reflexion.tags)
    all_values = {**values, **_outputs(steps)}
    _emit_end_event(uow, run, ending, steps, _end_key(run, plan.event, all_values), ctx)
    if ending.status in VERIFIED_STATUSES:
        _stage_verify(uow, run.run_id, contract.verify, all_values, ctx)


def _end_key(run: WorkflowRun, event: EventPost, values: Mapping[str, object]) -> str:
    # A run that failed before its inputs validated cannot bind a key naming an input; it
    # still ends with its one event, under the key a run without a contract gets.
    try:
        return event_key(event, values)
    except KeyError as exc:
        log.warning("run %s: end event key not bound (%s), using the default", run.run_id, exc)
        return default_end_key(run)


def default_end_key(run: WorkflowRun) -> str:
    """The end event's key when the contract's cannot be rendered: one per run all the same."""
    return f"{run.workflow_type}:{run.run_id}"


def _step_views(rows: Mapping[str, WorkflowRunStep]) -> dict[str, dict[str, Any]]:
    return {
        r.step_id: {
            "status": r.status,
            "attempts": r.attempts,
            "last_error": r.last_error,
            "output": r.output or {},
        }
        for r in rows.values()
    }


def _outputs(steps: Mapping[str, Mapping[str, Any]]) -> dict[str, object]:
    merged: dict[str, object] = {}
    for step in steps.values():
        merged.update(step["output"])
    return merged


def _add_reflexion(
    uow: EndWork,
    run: WorkflowRun,
    values: Mapping[str, object],
    ending: Ending,
    steps: Mapping[str, Mapping[str, Any]],
    tags: list[str],
) -> None:
    subject, domain = subject_of(values)
    shown = str(values.get("company_name") or subject or "") or None
    uow.reflexions.add(
        ReflexionEntry(
            run_id=run.run_id,
            workflow_type=run.workflow_type,
            narrative=narrative(run.workflow_type, shown, ending.status, steps, ending.reason),
            tags=list(tags),
            subject_key=subject,
            email_domain=domain,
        )
    )


def _emit_end_event(
    uow: EndWork,
    run: WorkflowRun,
    ending: Ending,
    steps: Mapping[str, Mapping[str, Any]],
    key: str,
    ctx: FinishContext,
) -> None:
    topic = EVENT_OF_STATUS[ending.status]
    data = WorkflowEnded(
        workflow_type=run.workflow_type,
        status=ending.status,
        started_at=run.started_at,
        completed_at=ctx.now,
        steps={name: str(step["status"]) for name, step in steps.items()},
        reason=ending.reason,
        failed_rules=ending.failed_rules,
    ).model_dump(mode="json")
    envelope = Envelope(
        type=str(topic), source=SOURCE, run_id=run.run_id, idempotency_key=key, data=data
    )
    uow.events.add(
        EventRecord(
            id=envelope.id,
            type=envelope.type,
            run_id=run.run_id,
            idempotency_key=key,
            data=data,
        )
    )
    uow.stage(topic_name(ctx.topic_prefix, topic), envelope)


def _stage_verify(
    uow: EndWork,
    run_id: uuid.UUID,
    checks: list[AnyCheck],
    values: Mapping[str, object],
    ctx: FinishContext,
) -> None:
    for check in checks:
        try:
            spec, status = to_jsonable(_spec(check, values)), CheckStatus.PENDING
        except KeyError as exc:
            # A check about an output that a failed step never produced cannot be run.
            spec, status = {"kind": check.kind, "skipped_because": str(exc)}, CheckStatus.SKIPPED
        due = ctx.now + _scaled(check.window, ctx.verify_window_scale)
        deadline = (
            due + _scaled(check.retry_until, ctx.verify_window_scale) if check.retry_until else None
        )
        uow.checks.add(
            VerifyResult(
                run_id=run_id,
                check_name=check.name,
                kind=check.kind,
                status=status,
                spec=spec,
                due_at=due,
                deadline_at=deadline,
            )
        )


def _spec(check: AnyCheck, values: Mapping[str, object]) -> dict[str, Any]:
    # Everything the verifier needs, bound now: it never re-reads the contract.
    if check.kind == "sql":
        return {
            "kind": "sql",
            "sql": check.sql,
            "params": bind(check.sql, values),
            "expect": check.expect,
        }
    if check.kind == "object":
        return {
            "kind": "object",
            "key": render_text(check.key, values),
            "sha256": render_text(check.sha256, values),
            "schema_version": check.schema_version,
        }
    return {
        "kind": "http",
        "system": check.system,
        "method": check.method,
        "path": render_text(check.path, values),
        "expect_status": check.expect_status,
    }


def _scaled(window: timedelta, scale: float) -> timedelta:
    return window * scale


def finish_unknown_workflow(
    uow: EndWork, run: WorkflowRun, reason: str, ctx: FinishContext
) -> None:
    """End a run whose contract is gone: a run log row and the one `workflow.failed`."""
    run.status, run.completed_at, run.updated_at = RunStatus.FAILED, ctx.now, ctx.now
    run.error = reason
    uow.run_logs.add(
        WorkflowRunLog(
            run_id=run.run_id,
            workflow_type=run.workflow_type,
            status=RunStatus.FAILED,
            started_at=run.requested_at,
            completed_at=ctx.now,
            summary_json=to_jsonable(summary(RunStatus.FAILED, {}, None, ctx.now, reason)),
        )
    )
    ending = Ending(RunStatus.FAILED, reason)
    _emit_end_event(uow, run, ending, {}, default_end_key(run), ctx)
