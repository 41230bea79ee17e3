"""Closing the loop on drift: a failed verify check with a `repair:` becomes a proposal.

`verify.result` (fail) → one `verify_repairs` row per failing round and, at or above the
risk gate, a proposal for the approver showing the drift (`repair_plan`); below it the
repair runs at once. Approved → the named `object_put` steps are queued again (a new round
of the same job row: the recorded bytes under the same key); once every object is stored
the check is put back in the queue as its next round (`verify_rounds.reverify`), and that
round's `verify.result` is recorded on the repair. The run stays as it ended: a repair never
emits a second terminal event. Kafka is no trust boundary: a result the check's row
contradicts, or a decision its proposal row contradicts, is ignored and alerted.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Literal

from cascade.runner.agreement import Disagreement, decision_disagreement
from cascade.runner.alerts import stage_alert
from cascade.runner.object_jobs import ClaimedObject
from cascade.runner.repair_plan import draft_repair, drift_of, parse_action
from cascade.runner.runstate import RunnerDeps, lock_run
from cascade.runner.staging import stage_proposal
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import VerifyRepair, VerifyResult, WorkflowRun
from cascade.shared.db.statuses import CheckStatus, ProposalStatus, RepairStatus
from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import ProposalDecision, VerifyResultEvent

log = logging.getLogger(__name__)
Decided = Literal[ProposalStatus.APPROVED, ProposalStatus.REJECTED]


def may_concern_repairs(envelope: Envelope) -> bool:
    """The consumer's filter: a failure may stage a repair, a later round's result may end
    one; a first round's pass passes by without a transaction."""
    event = VerifyResultEvent.model_validate(envelope.data)
    return event.status == CheckStatus.FAIL or event.round > 0


def is_repair_decision(envelope: Envelope) -> bool:
    """Whether a `proposal.*` event decides a repair proposal."""
    return parse_action(ProposalDecision.model_validate(envelope.data).action_type) is not None


async def on_verify_result(
    deps: RunnerDeps, envelope: Envelope, uow: RunnerWork
) -> Disagreement | None:
    """Record a re-verification on its repair; stage the repair of a failed round."""
    event = VerifyResultEvent.model_validate(envelope.data)
    if event.status == CheckStatus.SKIPPED:
        return None
    run = await lock_run(uow.runs, envelope.run_id)
    row = await uow.checks.find(envelope.run_id, event.check_name)
    if run is None or row is None:
        return Disagreement(f"run {envelope.run_id} has no check {event.check_name!r}")
    if row.round < event.round or (row.round == event.round and row.status != event.status):
        return Disagreement(
            f"check {event.check_name} is {row.status} in round {row.round}, "
            f"the event says {event.status} in round {event.round}"
        )
    if row.round > event.round:
        return None  # a later round is under way; it decides
    # The repair of the round before this one, if one ran, learns how it ended.
    await uow.repairs.note_reverified(row.run_id, row.check_name, row.round - 1, event.status)
    if event.status == CheckStatus.FAIL:
        await _stage_repair(deps, uow, run, row)
    return None


async def _stage_repair(
    deps: RunnerDeps, uow: RunnerWork, run: WorkflowRun, row: VerifyResult
) -> None:
    contract = deps.contracts.get(run.workflow_type)
    check = contract.verify_check(row.check_name) if contract else None
    if contract is None or check is None or check.repair is None:
        return
    drift = drift_of(row.check_name, row.kind, row.round, row.spec, row.detail)
    gated = contract.requires_approval and contract.hitl is not None
    repair = await uow.repairs.add_if_new(
        VerifyRepair(
            run_id=run.run_id, check_name=row.check_name, round=row.round,
            rerun=list(check.repair.rerun), drift=asdict(drift),
            status=RepairStatus.PROPOSED if gated else RepairStatus.RUNNING,
        )
    )  # fmt: skip
    if repair is None:
        return  # this round's repair exists: one per failing round
    if gated:
        draft = draft_repair(contract, run.run_id, run.title, check.repair, drift, deps.clock())
        repair.proposal_id = await stage_proposal(uow, run, draft, deps.topic_prefix)
        log.info("run %s: repair of %s staged as proposal %d", run.run_id, row.check_name,
                 repair.proposal_id)  # fmt: skip
    else:
        await _start(deps, uow, repair)


async def on_repair_decided(
    deps: RunnerDeps, envelope: Envelope, uow: RunnerWork, decided: Decided
) -> Disagreement | None:
    """Run an approved repair, or record a rejected one, once the proposal row agrees."""
    decision = ProposalDecision.model_validate(envelope.data)
    await lock_run(uow.runs, envelope.run_id)
    proposal = await uow.proposals.get(decision.proposal_id)
    disagreement = decision_disagreement(envelope.run_id, proposal, decision, decided)
    if disagreement is not None:
        return disagreement
    assert proposal is not None
    if proposal.decided_by != proposal.approver:
        return Disagreement(f"proposal {proposal.id} was decided by {proposal.decided_by}")
    repair = await uow.repairs.lock_of_proposal(proposal.id)
    if repair is None or repair.status != RepairStatus.PROPOSED:
        return None  # a replay
    if decided == ProposalStatus.REJECTED:
        reason = proposal.decision_reason or "no reason given"
        repair.status = RepairStatus.REJECTED
        repair.error = f"rejected by {proposal.decided_by}: {reason}"
    elif sha256_of(proposal.payload) != proposal.payload_sha256:
        repair.status = RepairStatus.FAILED
        repair.error = "the stored payload no longer matches its hash"
    else:
        await _start(deps, uow, repair)
    repair.updated_at = deps.clock()
    return None


class _NotReopened(Exception):
    pass


async def _start(deps: RunnerDeps, uow: RunnerWork, repair: VerifyRepair) -> None:
    """Queue every object the repair writes again, all or none (a savepoint)."""
    try:
        async with uow.savepoint():
            for step_id in repair.rerun:
                reopened = await uow.object_puts.reopen(
                    repair.run_id, step_id, repair.id, deps.object_put_max_attempts
                )
                if reopened is None:
                    raise _NotReopened(f"step {step_id} has no finished object to write again")
    except _NotReopened as exc:
        _fail(deps, uow, repair, str(exc))
        return
    repair.status = RepairStatus.RUNNING


def _fail(deps: RunnerDeps, uow: RunnerWork, repair: VerifyRepair, error: str) -> None:
    repair.status, repair.error, repair.updated_at = RepairStatus.FAILED, error, deps.clock()
    stage_alert(
        uow, deps.topic_prefix, repair.run_id, f"repair:{repair.check_name}:{repair.round}",
        f"the repair of {repair.check_name} failed", error,
    )  # fmt: skip


async def object_repaired(
    deps: RunnerDeps, uow: RunnerWork, run: WorkflowRun, job: ClaimedObject, outcome: JobStep
) -> None:
    """In the transaction that recorded a repair round's final outcome: fail the repair, or,
    once all its objects are stored, mark it done and re-verify its check."""
    repair = await uow.repairs.lock(job.repair_id) if job.repair_id is not None else None
    if repair is None or repair.status != RepairStatus.RUNNING:
        return
    if outcome.status == "failed":
        _fail(deps, uow, repair, f"object {job.object_key} was not stored: {outcome.error}")
        return
    if await uow.object_puts.unstored(repair.id):
        return
    repair.status, repair.updated_at = RepairStatus.DONE, deps.clock()
    contract = deps.contracts.get(run.workflow_type)
    check = contract.verify_check(repair.check_name) if contract else None
    if check is None:
        return
    deadline = deps.clock() + (check.retry_until or check.window) * deps.verify_window_scale
    round_number = await uow.checks.reverify(run.run_id, repair.check_name, deadline)
    log.info("run %s: repair of %s done, re-verifying (round %s)", run.run_id,
             repair.check_name, round_number)  # fmt: skip
