"""`proposal.approved` / `proposal.rejected`: act on Mike's decision, after checking it again."""

from __future__ import annotations

import logging

from cascade.runner.agreement import Disagreement, decision_disagreement
from cascade.runner.fanout import around_commit, start_fanout
from cascade.runner.finish import Ending, finish_run
from cascade.runner.repairs import Decided, is_repair_decision, on_repair_decided
from cascade.runner.runstate import RunnerDeps, end_run, lock_run, run_values
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.canonical import sha256_of, to_jsonable
from cascade.shared.contract import Contract, blocking_names, context_closure, failed_blocks
from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import ProposalDecision

log = logging.getLogger(__name__)


async def on_approved(deps: RunnerDeps, envelope: Envelope, uow: RunnerWork) -> Disagreement | None:
    """Start the fan-out of an approved run once the approval still holds (or run an
    approved repair of a failed check, `repairs.py`)."""
    found = await _gate(deps, envelope, uow, ProposalStatus.APPROVED)
    if not isinstance(found, tuple):
        return found
    run, contract, proposal = found
    problem = stored_payload_problem(proposal)
    if problem is not None:
        # The event agrees with the row, but the row no longer holds what Mike approved.
        log.error("run %s: approval refused: %s", run.run_id, problem)
        await end_run(uow, run, contract, Ending(RunStatus.FAILED, problem), deps)
        return None
    # Someone may have created the same customer while the proposal waited: the queries the
    # blocking rules read run again (and any the run's stored context lacks); the others
    # only informed Mike and keep the values he saw.
    values = run_values(contract, run)
    names = blocking_names(contract) | {q.name for q in contract.context if q.name not in values}
    fresh = await deps.context.load(context_closure(contract, names), values)
    scope = {**values, **fresh}
    blocked = failed_blocks(contract, scope)
    if blocked:
        reason = "blocked at approval by precondition " + ", ".join(blocked)
        await finish_run(
            uow,
            run,
            contract,
            scope,
            Ending(RunStatus.BLOCKED, reason, blocked),
            deps.finish_context(),
        )
        return None
    # A run staged under an earlier contract may lack context its steps now bind; the fresh
    # load fills only what is missing, so every value Mike saw keeps its approved value.
    run.context = {**to_jsonable(fresh), **(run.context or {})}
    # The first steps share this transaction (`fanout`): a crash before its commit leaves
    # neither the approval's effect nor theirs; after it, all of them.
    progress = await start_fanout(uow, run, contract, deps)
    around_commit(uow, deps, run, progress)
    return None


async def on_rejected(deps: RunnerDeps, envelope: Envelope, uow: RunnerWork) -> Disagreement | None:
    """End a rejected run; nothing was written, nothing will be. A rejected repair is
    recorded on its repair; the run stays as it ended."""
    found = await _gate(deps, envelope, uow, ProposalStatus.REJECTED)
    if not isinstance(found, tuple):
        return found
    run, contract, proposal = found
    # Who and why come from the row the compare-and-set wrote, not from the event.
    reason = f"rejected by {proposal.decided_by}: {proposal.decision_reason or 'no reason given'}"
    await end_run(uow, run, contract, Ending(RunStatus.REJECTED, reason), deps)
    return None


def stored_payload_problem(proposal: ProposedAction) -> str | None:
    """Why an approved proposal's stored payload must not be executed, or None (pure)."""
    if sha256_of(proposal.payload) != proposal.payload_sha256:
        return "the stored payload no longer matches its hash"
    return None


async def _gate(
    deps: RunnerDeps, envelope: Envelope, uow: RunnerWork, decided: Decided
) -> tuple[WorkflowRun, Contract, ProposedAction] | Disagreement | None:
    """The locked run awaiting this decision; a Disagreement when the proposal row says
    otherwise; None when there is nothing more to do (a replay, an email proposal's decision,
    a repair's: that one is acted on here, `repairs.py`)."""
    if is_repair_decision(envelope):
        return await on_repair_decided(deps, envelope, uow, decided)
    decision = ProposalDecision.model_validate(envelope.data)
    # The run lock first, as everywhere: the expiry sweeper locks run, then proposal.
    run = await lock_run(uow.runs, envelope.run_id)
    proposal = await uow.proposals.get(decision.proposal_id)
    disagreement = decision_disagreement(envelope.run_id, proposal, decision, decided)
    if disagreement is not None:
        return disagreement
    assert proposal is not None
    if run is None or run.status != RunStatus.AWAITING_APPROVAL:
        return None  # a replay, or a decision on another kind of proposal (e.g. an email)
    contract = deps.contracts.get(run.workflow_type)
    if contract is None or contract.hitl is None:
        return None
    if proposal.action_type != contract.hitl.action_type:
        return None
    return run, contract, proposal
