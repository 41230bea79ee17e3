"""`proposal.approved` for an email draft: check the approval, then queue the email as a
durable job. Nothing is sent here: the email pollers send (email_worker.py), so an SMTP
outage delays an email for minutes instead of dead-lettering it within seconds."""

from __future__ import annotations

import logging
from functools import partial

from cascade.approvals.edits import EMAIL_ACTION
from cascade.approvals.unit_of_work import EmailWork, SqlApprovalsWork
from cascade.shared.canonical import sha256_of
from cascade.shared.consumer import Handler, RejectMessage, use_case_handler
from cascade.shared.db.models import ProposedAction
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import ProposalDecision

log = logging.getLogger(__name__)


def message_id(proposal: ProposedAction, sender: str) -> str:
    """Stable per proposal version: a resend after a crash carries the same Message-ID."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<cascade-proposal-{proposal.id}-v{proposal.version}@{domain}>"


def approval_problem(proposal: ProposedAction, decision: ProposalDecision) -> str | None:
    """Why this approval must not send anything (pure); None when it holds."""
    if proposal.status != ProposalStatus.APPROVED:
        return f"proposal {proposal.id} is {proposal.status}"
    if (decision.version, decision.payload_sha256) != (proposal.version, proposal.payload_sha256):
        return "the approval names another version or hash"
    if sha256_of(proposal.payload) != proposal.payload_sha256:
        return "the stored payload no longer matches its hash"
    return None


def is_email_approval(envelope: Envelope) -> bool:
    """The consumer's filter: only an email draft's approval queues an email (a gate's passes
    by without a transaction)."""
    return ProposalDecision.model_validate(envelope.data).action_type == EMAIL_ACTION


def email_enqueuer(sender: str) -> Handler:
    """The handler: `queue_email` in the inbox transaction."""
    return use_case_handler(SqlApprovalsWork, partial(queue_email, sender=sender))


async def queue_email(uow: EmailWork, envelope: Envelope, sender: str) -> None:
    """Re-check an email draft's approval and queue the email; others pass by."""
    decision = ProposalDecision.model_validate(envelope.data)
    if decision.action_type != EMAIL_ACTION:
        return
    proposal = await uow.proposals.get(decision.proposal_id)
    if proposal is None:
        raise RejectMessage(f"no proposal {decision.proposal_id}")
    problem = approval_problem(proposal, decision)
    if problem is not None:
        raise RejectMessage(f"not sending proposal {proposal.id}: {problem}")
    mid = message_id(proposal, sender)
    if await uow.email_jobs.enqueue(proposal, mid):
        log.info(
            "queued email of proposal %d to %s as %s", proposal.id, proposal.payload["to"], mid
        )
