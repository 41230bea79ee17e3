"""`workflow.requested`: record the run, load context, check preconditions, then propose or run."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from cascade.runner.agreement import Disagreement
from cascade.runner.fanout import around_commit, start_fanout
from cascade.runner.finish import Ending, finish_run, finish_unknown_workflow
from cascade.runner.runstate import RunnerDeps, run_values
from cascade.runner.staging import stage_proposal
from cascade.runner.subjects import subject_for, write_subject
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import Contract, evaluate_preconditions, runtime_values
from cascade.shared.db.models import WorkflowRun
from cascade.shared.db.statuses import RunStatus
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import WorkflowRequested
from cascade.shared.proposals.context_reader import subject_of
from cascade.shared.proposals.drafting import (
    blocking_rules,
    draft_proposal,
    input_errors,
    nul_errors,
    without_nul,
)

log = logging.getLogger(__name__)


async def start_run(deps: RunnerDeps, envelope: Envelope, uow: RunnerWork) -> Disagreement | None:
    """Handle one `workflow.requested`; a replay of a recorded run changes nothing.

    This event starts a run rather than claiming something about one, so there is no row
    to check it against: a replay for a recorded run id is a no-op, and the inputs are
    validated against the contract here, whatever intake did.
    """
    refused = nul_errors(WorkflowRequested.model_validate(envelope.data).inputs)
    # PostgreSQL stores no U+0000: the run is recorded with them replaced, then failed.
    request = WorkflowRequested.model_validate(without_nul(envelope.data))
    contract = deps.contracts.get(request.workflow_type)
    run = await _record(uow, envelope, request, contract)
    if run is None:
        return None
    if contract is None:
        # Intake checks the type; this is a contract removed while the request was queued.
        write_subject(run, subject_for(None, request.workflow_type, {}))
        reason = f"unknown workflow type {request.workflow_type!r}"
        finish_unknown_workflow(uow, run, reason, deps.finish_context())
        return None
    try:
        values = run_values(contract, run)
    except ValidationError as exc:
        # Intake refuses such a request; this one came another way (or the contract changed).
        errors = refused + input_errors(exc)
    else:
        errors = refused
    if errors:
        # Named by what it was sent with, as far as that goes.
        write_subject(run, subject_for(contract, run.workflow_type, dict(run.inputs)))
        await _fail_inputs(deps, uow, run, contract, errors)
        return None
    await _decide(deps, uow, run, contract, values)
    return None


async def _fail_inputs(
    deps: RunnerDeps,
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    errors: list[dict[str, str]],
) -> None:
    # Only the runtime values bind: the inputs are what failed.
    reason = "invalid inputs: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    await finish_run(
        uow,
        run,
        contract,
        runtime_values(run.run_id, run.workflow_type, run.requested_at),
        Ending(RunStatus.FAILED, reason, input_errors=errors),
        deps.finish_context(),
    )


async def _record(
    uow: RunnerWork, envelope: Envelope, request: WorkflowRequested, contract: Contract | None
) -> WorkflowRun | None:
    """The new run's row (locked: this transaction inserted it), or None for a replay."""
    run = WorkflowRun(
        run_id=envelope.run_id,
        workflow_type=request.workflow_type,
        contract_version=contract.version if contract else None,
        status=RunStatus.REQUESTED,
        inputs=request.inputs,
        source=request.source,
        started_by=request.started_by,
        requested_at=envelope.time,
    )
    return await uow.runs.add_if_new(run)


async def _decide(
    deps: RunnerDeps,
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    values: dict[str, object],
) -> None:
    context = await deps.context.load(contract.context, values)
    run.context = to_jsonable(context)
    scope = {**values, **context}
    # What the steps will bind: the context as stored on the run (JSON), not as fetched.
    stored = {**values, **run.context}
    write_subject(run, subject_for(contract, run.workflow_type, stored))
    outcomes = evaluate_preconditions(contract, scope)
    blocked = blocking_rules(outcomes)
    now = deps.clock()
    if blocked:
        reason = "blocked by precondition " + ", ".join(blocked)
        ending = Ending(RunStatus.BLOCKED, reason, failed_rules=blocked)
        await finish_run(uow, run, contract, scope, ending, deps.finish_context())
    elif contract.requires_approval:
        prior = await deps.context.prior_reflexions(*subject_of(scope))
        shown_context = {**run.context, "prior_reflexions": prior}
        draft = draft_proposal(
            contract, run.run_id, run.inputs, stored, shown_context, outcomes, now
        )
        # The status first: the proposal's flush then writes the run row once, not twice.
        run.status, run.updated_at = RunStatus.AWAITING_APPROVAL, now
        await stage_proposal(uow, run, draft, deps.topic_prefix)
    else:
        progress = await start_fanout(uow, run, contract, deps)
        around_commit(uow, deps, run, progress)
