"""`proposal.approved` of a push correction: put Mike's corrected body on the push and push again.

ns-pusher owns pushes, so it applies corrections (the runner owns the run, which stays as it
ended: one completion event per run). Kafka is no trust boundary: the event is acted on only
when the proposal row, its audit row and the push row say the same (see
`cascade.shared.push_corrections.correction_disagreement`). An event they contradict changes
nothing, releases its idempotency key (a forged copy must not make the real one a duplicate)
and raises one `workflow.alert`. In one transaction with the inbox claim: the push row gets
the corrected body and a new round of attempts, the mirror row gets the corrected columns
(`customers.email`), and an audit row records who approved what.
"""

from __future__ import annotations

import logging
from functools import partial

from cascade.ns_pusher.unit_of_work import CorrectionWork, SqlPusherWork
from cascade.shared import alerts
from cascade.shared.consumer import Handler, use_case_handler
from cascade.shared.db.models import ApprovalAudit, ProposedAction
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import ProposalDecision, WorkflowAlert
from cascade.shared.push_corrections import (
    APPLIED,
    PushCorrection,
    correction_disagreement,
    is_correction,
    mirror_values,
    push_problem,
)
from cascade.shared.topics import Topic

log = logging.getLogger(__name__)
CONSUMER = "ns_pusher_correction"
IGNORED_REASON = "event_disagrees_with_database"
SOURCE = "ns-pusher"


def is_correction_approval(envelope: Envelope) -> bool:
    """The consumer's filter: only a push correction's approval is ns-pusher's business (a
    gate's or an email's passes by without a transaction)."""
    return is_correction(ProposalDecision.model_validate(envelope.data).action_type)


def correction_approved(max_attempts: int, topic_prefix: str) -> Handler:
    """The handler of `proposal.approved` for ns-pusher: `apply_correction` in the
    consumer's transaction."""
    use_case = partial(apply_correction, max_attempts=max_attempts, topic_prefix=topic_prefix)
    return use_case_handler(SqlPusherWork, use_case)


async def apply_correction(
    uow: CorrectionWork, envelope: Envelope, max_attempts: int, topic_prefix: str
) -> None:
    """Put an approved correction's body on its failed push and push again; other
    proposals' approvals pass by, a contradicted one is ignored and alerted."""
    decision = ProposalDecision.model_validate(envelope.data)
    if not is_correction(decision.action_type):
        return
    proposal = await uow.proposals.lock(decision.proposal_id)
    approvals = await uow.proposals.audit(decision.proposal_id)
    problem = correction_disagreement(envelope.run_id, decision, proposal, list(approvals))
    if problem is not None:
        await _ignore(uow, topic_prefix, envelope, problem)
        return
    assert proposal is not None
    correction = PushCorrection.model_validate(proposal.payload)
    push = await uow.pushes.lock(correction.push_id)
    refused = push_problem(correction, envelope.run_id, push)
    if refused:
        # A real approval that no longer fits the push (retried meanwhile): say so, once.
        log.warning("ns-pusher: correction %d not applied: %s", proposal.id, refused)
        _audit(uow, proposal, f"not applied: {refused}")
        return
    assert push is not None
    push.payload = correction.body
    await uow.flush()
    await uow.pushes.retry_failed(push.id, max_attempts)
    mirrored = mirror_values(push.record_type, correction.changes)
    if mirrored:
        # The mirror says what NetSuite is being told, from the same commit on.
        await uow.mirrors.update(push.record_type, push.external_id, mirrored)
    fields = ", ".join(c.field for c in correction.changes) or "no field"
    mirror_note = f"; mirror {', '.join(sorted(mirrored))} updated" if mirrored else ""
    _audit(uow, proposal, f"push {push.id} re-queued with corrected {fields}{mirror_note}")
    log.info("ns-pusher: push %d corrected by proposal %d", push.id, proposal.id)


def _audit(uow: CorrectionWork, proposal: ProposedAction, reason: str) -> None:
    uow.audits.add(
        ApprovalAudit(
            proposal_id=proposal.id, run_id=proposal.run_id, decision=APPLIED, actor=SOURCE,
            payload_sha256=proposal.payload_sha256, version=proposal.version, reason=reason,
        )
    )  # fmt: skip


async def _ignore(uow: CorrectionWork, topic_prefix: str, envelope: Envelope, problem: str) -> None:
    """Leave no trace but one alert: the key stays free for the real event."""
    await uow.inbox.release(CONSUMER, envelope.idempotency_key)
    log.warning(
        "ns-pusher: ignored proposal.approved %s (key %r, source %r) of run %s: %s",
        envelope.id, envelope.idempotency_key, envelope.source, envelope.run_id, problem,
    )  # fmt: skip
    what = f"disagreement:{envelope.id}"
    if not await uow.inbox.claim(CONSUMER, what):
        return
    alert = WorkflowAlert(
        severity="warning",
        reason=IGNORED_REASON,
        detail=f"ignored proposal.approved: {problem}"[:1000],
        context={"topic": str(Topic.PROPOSAL_APPROVED), "consumer": CONSUMER},
    )
    alerts.stage(uow, topic_prefix, SOURCE, envelope.run_id, what, alert)
