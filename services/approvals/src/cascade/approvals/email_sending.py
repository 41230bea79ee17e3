"""`proposal.approved` for an email draft: send it once through SMTP and record the send."""

from __future__ import annotations

import logging

from sqlalchemy import select

from cascade.approvals.edits import EMAIL_ACTION
from cascade.approvals.smtp import Outgoing, send
from cascade.approvals.ui_settings import UiSettings
from cascade.shared.canonical import sha256_of
from cascade.shared.consumer import Handler, RejectMessage
from cascade.shared.db.models import EmailSend, ProposedAction
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import ProposalDecision

log = logging.getLogger(__name__)


def message_id(proposal: ProposedAction, sender: str) -> str:
    """Stable per proposal version: a resend after a crash carries the same Message-ID."""
    domain = sender.rsplit("@", 1)[-1] or "localhost"
    return f"<cascade-proposal-{proposal.id}-v{proposal.version}@{domain}>"


def approval_problem(proposal: ProposedAction, decision: ProposalDecision) -> str | None:
    """Why this approval must not send anything (pure); None when it holds."""
    if proposal.status != "approved":
        return f"proposal {proposal.id} is {proposal.status}"
    if (decision.version, decision.payload_sha256) != (proposal.version, proposal.payload_sha256):
        return "the approval names another version or hash"
    if sha256_of(proposal.payload) != proposal.payload_sha256:
        return "the stored payload no longer matches its hash"
    return None


def email_sender(settings: UiSettings) -> Handler:
    """The handler: the claim, the SMTP send and the `email_sends` row in one transaction,
    the row written only after the server accepted the message."""

    async def handle(envelope: Envelope, uow: UnitOfWork) -> None:
        decision = ProposalDecision.model_validate(envelope.data)
        if decision.action_type != EMAIL_ACTION:
            return
        proposal = await uow.session.get(ProposedAction, decision.proposal_id)
        if proposal is None:
            raise RejectMessage(f"no proposal {decision.proposal_id}")
        problem = approval_problem(proposal, decision)
        if problem is not None:
            raise RejectMessage(f"not sending proposal {proposal.id}: {problem}")
        sent = await uow.session.scalar(
            select(EmailSend.id).where(EmailSend.proposal_id == proposal.id)
        )
        if sent is not None:
            return
        mail = Outgoing(
            to=str(proposal.payload["to"]),
            subject=str(proposal.payload["subject"]),
            body=str(proposal.payload["body"]),
            message_id=message_id(proposal, settings.smtp_from),
        )
        response = await send(settings, mail)
        uow.session.add(
            EmailSend(
                proposal_id=proposal.id, run_id=proposal.run_id, recipient=mail.to,
                message_id=mail.message_id, payload_sha256=proposal.payload_sha256,
                smtp_response=response,
            )
        )  # fmt: skip
        log.info("sent email of proposal %d to %s as %s", proposal.id, mail.to, mail.message_id)

    return handle
