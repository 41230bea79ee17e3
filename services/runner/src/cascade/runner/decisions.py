"""`proposal.approved` / `proposal.rejected`: act on Mike's decision, after checking it again."""

from __future__ import annotations

import logging

from sqlalchemy import select

from cascade.runner.domain import blocking_rules
from cascade.runner.finish import Ending, finish_run
from cascade.runner.runstate import RunnerDeps, begin_fanout, lock_run, run_values
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import Contract, evaluate_preconditions
from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import ProposalDecision

log = logging.getLogger(__name__)


async def on_approved(deps: RunnerDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Start the fan-out of an approved run once the approval still holds."""
    found = await _gate(deps, envelope, uow)
    if found is None:
        return
    run, contract, proposal, decision = found
    problem = approval_problem(proposal, decision)
    if problem is not None:
        log.error("run %s: approval refused: %s", run.run_id, problem)
        await finish_run(
            uow,
            run,
            contract,
            run_values(contract, run),
            Ending("failed", problem),
            deps.finish_context(),
        )
        return
    # Someone may have created the same customer while the proposal waited.
    values = run_values(contract, run)
    fresh = await deps.context.load(contract, values)
    scope = {**values, **fresh}
    blocked = blocking_rules(evaluate_preconditions(contract, scope))
    if blocked:
        reason = "blocked at approval by precondition " + ", ".join(blocked)
        await finish_run(
            uow, run, contract, scope, Ending("blocked", reason, blocked), deps.finish_context()
        )
        return
    await begin_fanout(uow, run, contract, deps.clock())


async def on_rejected(deps: RunnerDeps, envelope: Envelope, uow: UnitOfWork) -> None:
    """End a rejected run; nothing was written, nothing will be."""
    found = await _gate(deps, envelope, uow)
    if found is None:
        return
    run, contract, proposal, decision = found
    if proposal.status != "rejected":
        log.error("run %s: rejection of a %s proposal ignored", run.run_id, proposal.status)
        return
    reason = f"rejected by {decision.decided_by}: {decision.reason or 'no reason given'}"
    await finish_run(
        uow,
        run,
        contract,
        run_values(contract, run),
        Ending("rejected", reason),
        deps.finish_context(),
    )


def approval_problem(proposal: ProposedAction, decision: ProposalDecision) -> str | None:
    """Why an approval must not be acted on, or None when it holds (pure)."""
    if proposal.status != "approved":
        return f"proposal {proposal.id} is {proposal.status}, not approved"
    if decision.version != proposal.version:
        return f"approval was for version {decision.version}, proposal is {proposal.version}"
    if decision.payload_sha256 != proposal.payload_sha256:
        return "approval was for another payload hash"
    if sha256_of(proposal.payload) != proposal.payload_sha256:
        return "the stored payload no longer matches its hash"
    return None


async def _gate(
    deps: RunnerDeps, envelope: Envelope, uow: UnitOfWork
) -> tuple[WorkflowRun, Contract, ProposedAction, ProposalDecision] | None:
    """The locked run awaiting this decision, or None when there is nothing to do."""
    decision = ProposalDecision.model_validate(envelope.data)
    run = await lock_run(uow, envelope.run_id)
    if run is None or run.status != "awaiting_approval":
        return None  # a replay, or a decision on another kind of proposal (e.g. an email)
    contract = deps.contracts.get(run.workflow_type)
    proposal = (
        await uow.session.scalars(
            select(ProposedAction).where(ProposedAction.id == decision.proposal_id)
        )
    ).one_or_none()
    if contract is None or proposal is None or proposal.run_id != run.run_id:
        return None
    if contract.hitl is None or proposal.action_type != contract.hitl.action_type:
        return None
    return run, contract, proposal, decision
