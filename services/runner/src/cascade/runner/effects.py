"""The effect of one fan-out step, done inside the transaction that records its status."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cascade.runner.object_jobs import PUT_ID, stage_object
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.canonical import sha256_of, to_jsonable
from cascade.shared.contract import (
    AnyStep,
    Contract,
    DbWriteStep,
    EmailDraftStep,
    NetSuitePushStep,
    ObjectPutStep,
    bind,
    email_draft,
    netsuite_payload,
)
from cascade.shared.db.models import NsPendingPush, ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus, PushStatus, StepStatus
from cascade.shared.envelope import new_envelope
from cascade.shared.payloads import NsPush
from cascade.shared.topics import Topic, topic_name

SOURCE = "cascade.runner"


@dataclass(frozen=True)
class StepResult:
    """`done` with outputs, or `awaiting_result` when another service finishes the step."""

    status: str
    output: dict[str, Any] = field(default_factory=dict)


async def perform(
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    step: AnyStep,
    values: Mapping[str, object],
    topic_prefix: str,
    now: datetime,
) -> StepResult:
    """Do the step's effect in the caller's transaction."""
    if isinstance(step, DbWriteStep):
        return await _db_write(uow, step, values)
    if isinstance(step, NetSuitePushStep):
        return await _stage_push(uow, run, step, values, topic_prefix)
    if isinstance(step, ObjectPutStep):
        # The object's bytes are fixed here; the runner's object worker PUTs them.
        put_id = await stage_object(uow, run, step, values)
        return StepResult(StepStatus.AWAITING_RESULT, {PUT_ID: put_id})
    return await _stage_email(uow, run, contract, step, values, now)


async def _db_write(uow: RunnerWork, step: DbWriteStep, values: Mapping[str, object]) -> StepResult:
    scope = dict(values)
    outputs: dict[str, Any] = {}
    for statement in step.statements:
        params = bind(statement.sql, scope)
        if not statement.outputs:
            await uow.contract_sql.execute(statement.sql, params)
            continue
        row = await uow.contract_sql.one(statement.sql, params)
        produced = {name: row[column] for name, column in statement.outputs.items()}
        outputs |= produced
        scope |= produced
    return StepResult(StepStatus.DONE, to_jsonable(outputs))


async def _stage_push(
    uow: RunnerWork,
    run: WorkflowRun,
    step: NetSuitePushStep,
    values: Mapping[str, object],
    topic_prefix: str,
) -> StepResult:
    external_id, body = netsuite_payload(step, values)
    push = NsPendingPush(
        run_id=run.run_id,
        record_type=step.record_type,
        external_id=external_id,
        payload=to_jsonable(body),
        status=PushStatus.PENDING,
        attempts=0,
    )
    push_id = await uow.pushes.insert(push)
    data = NsPush(push_id=push_id, record_type=step.record_type, external_id=external_id)
    envelope = new_envelope(
        Topic.NS_PUSH, SOURCE, run.run_id, data.model_dump(mode="json"), key_suffix=str(push_id)
    )
    uow.stage(topic_name(topic_prefix, Topic.NS_PUSH), envelope)
    return StepResult(StepStatus.AWAITING_RESULT, {"push_id": push_id})


async def _stage_email(
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    step: EmailDraftStep,
    values: Mapping[str, object],
    now: datetime,
) -> StepResult:
    draft = email_draft(step, values)
    gate = contract.hitl
    payload = to_jsonable({"run_id": run.run_id, "step_id": step.id, **draft})
    proposal = ProposedAction(
        run_id=run.run_id,
        action_type=step.tool,
        entity_ref=f"workflow:{run.workflow_type}:run_{run.run_id}:{step.id}",
        approver=gate.approver if gate else "mike",
        status=ProposalStatus.PENDING,
        payload=payload,
        payload_sha256=sha256_of(payload),
        version=1,
        expires_at=now + gate.expires_after if gate else None,
    )
    proposal_id = await uow.proposals.insert(proposal)
    return StepResult(StepStatus.DONE, {"email_proposal_id": proposal_id})
