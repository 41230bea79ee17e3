"""The "what changes when this workflow runs" table, derived from the contract (never written
by hand): the runner's own rows, then every side effect of every fan-out step."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AnyStep, Contract
from .sqlinfo import write_effect
from .steps import DbWriteStep, EmailDraftStep, NetSuitePushStep, ObjectPutStep, SqlStatement

POSTGRES = "PostgreSQL"
KAFKA = "Kafka"
OBJECT_STORE = "Object store (S3 / R2)"


@dataclass(frozen=True)
class Change:
    """One side effect: which system, which table or resource, what is done, and why."""

    system: str
    resource: str
    action: str
    source: str


def what_changes(contract: Contract) -> list[Change]:
    """Every side effect of one run, runner-level first, then fan-out steps in order."""
    changes = _runner_changes(contract)
    for number, step in enumerate(contract.fan_out, start=1):
        changes.extend(step_changes(step, f"fan-out #{number} ({step.id})"))
    return changes + repair_changes(contract)


def repair_changes(contract: Contract) -> list[Change]:
    """What a failed check with a `repair:` writes: the repair and, at the risk gate, its
    proposal (the steps it runs again change only once the approver said yes)."""
    changes = []
    for check in contract.verify:
        if check.repair is None:
            continue
        rerun = ", ".join(check.repair.rerun)
        source = f"verify {check.name} (repair)"
        action = f"INSERT if the check fails (then re-run {rerun})"
        changes.append(Change(POSTGRES, "verify_repairs", action, source))
        if contract.requires_approval and contract.hitl is not None:
            action = f"INSERT (repair proposal for {contract.hitl.approver})"
            changes.append(Change(POSTGRES, "proposed_actions", action, source))
    return changes


def _runner_changes(contract: Contract) -> list[Change]:
    plan = contract.post_plan()
    changes = [
        Change(
            POSTGRES,
            plan.log_run.table,
            "INSERT (run summary)",
            _source(plan.declared, "log_run", "always"),
        )
    ]
    if plan.reflexion is not None:
        tags = ", ".join(plan.reflexion.tags)
        source = _source(plan.declared, "reflexion", "reflexion_enabled")
        changes.append(Change(POSTGRES, "reflexion_log", f"INSERT (tags={tags})", source))
    event = plan.event
    action = f"publish one per run (idempotency key {event.idempotency_key})"
    changes.append(
        Change(KAFKA, " | ".join(event.topics()), action, _source(plan.declared, "event", "always"))
    )
    if contract.verify:
        action = f"INSERT pending × {len(contract.verify)}"
        changes.append(Change(POSTGRES, "workflow_verify_results", action, "runner verify staging"))
    if contract.hitl is not None and contract.requires_approval:
        action = f"INSERT (HITL gate envelope, {contract.hitl.action_type})"
        changes.append(Change(POSTGRES, "proposed_actions", action, "runner HITL gate"))
    return changes


def _source(declared: frozenset[str], kind: str, when: str) -> str:
    automatic = f"runner automatic ({when})"
    return f"{automatic}, configured by post action {kind}" if kind in declared else automatic


def step_changes(step: AnyStep, source: str) -> list[Change]:
    """The side effects of one fan-out step."""
    if isinstance(step, DbWriteStep):
        return [_sql_change(statement, source) for statement in step.statements]
    if isinstance(step, NetSuitePushStep):
        return _netsuite_changes(step, source)
    if isinstance(step, EmailDraftStep):
        action = f"INSERT (email draft via {step.tool}, to {step.to})"
        return [Change(POSTGRES, "proposed_actions", action, source)]
    if isinstance(step, ObjectPutStep):
        action = f"PUT {step.document_type} v{step.schema_version} (JSON, sha256 recorded)"
        return [
            Change(POSTGRES, "object_puts", "INSERT (staged object, bytes and sha256)", source),
            Change(OBJECT_STORE, step.key, action, source),
        ]
    raise TypeError(f"unknown step type {type(step).__name__}")


def _sql_change(statement: SqlStatement, source: str) -> Change:
    effect = write_effect(statement.sql)
    return Change(POSTGRES, effect.table, effect.action, source)


def _netsuite_changes(step: NetSuitePushStep, source: str) -> list[Change]:
    changes = [
        Change(POSTGRES, "ns_pending_pushes", "INSERT (staged push)", source),
        Change(
            f"NetSuite (via {step.queue})",
            step.record_type,
            f"upsert by external id {step.external_id}",
            source,
        ),
    ]
    if step.writeback is not None:
        changes.append(_sql_change(step.writeback, f"{source} writeback"))
    return changes
