"""Mike edits an email draft: a new version and hash, by the same compare-and-set as a decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from cascade.approvals.decisions import explain
from cascade.approvals.repositories import Reviewed
from cascade.approvals.unit_of_work import DecisionWork
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit
from cascade.shared.text_rules import address_problem, email_text_problem

EMAIL_ACTION = "propose_email_to_customer"


class NotEditable(Exception):
    """Only email drafts are edited; everything else is approved or rejected as proposed."""


@dataclass(frozen=True)
class EditRequest:
    """New subject and body (and recipient, when given) for exactly this version and hash of
    an email proposal."""

    proposal_id: int
    version: int
    payload_sha256: str
    subject: str
    body: str
    actor: str
    remote_addr: str | None
    to: str | None = None


def edit_problem(to: str | None, subject: str, body: str) -> str | None:
    """What is wrong with Mike's edit, for the page (pure); None when it may be saved.

    Recipient and subject are header fields: one line, no control characters, and the
    recipient exactly one valid address (a list or CR/LF would add recipients or headers).
    The text may span lines but holds no other control character.
    """
    if to is not None and (problem := address_problem(to.strip())):
        return f"Recipient {problem}."
    if problem := email_text_problem(subject, body):
        return f"{problem[0].upper()}{problem[1:]}."
    return None


@dataclass(frozen=True)
class Edited:
    """The proposal's new version and hash."""

    proposal_id: int
    version: int
    payload_sha256: str


def edited_payload(
    payload: dict[str, Any], subject: str, body: str, to: str | None = None
) -> dict[str, Any]:
    """The draft with Mike's text (pure); line endings normalised so the hash is stable.
    Without a new recipient the draft's stays."""
    recipient = {"to": to.strip()} if to is not None else {}
    return {
        **payload,
        **recipient,
        "subject": subject.strip(),
        "body": body.replace("\r\n", "\n"),
    }


async def edit_email(uow: DecisionWork, ask: EditRequest) -> Edited:
    """Replace subject and body only when the proposal is still the reviewed version."""
    found = await uow.proposals.draft(ask.proposal_id)
    if found is not None and found[1] != EMAIL_ACTION:
        raise NotEditable(f"a {found[1]} proposal cannot be edited")
    payload = edited_payload(found[0] if found is not None else {}, ask.subject, ask.body, ask.to)
    new_hash = sha256_of(payload)
    reviewed = Reviewed(ask.proposal_id, ask.version, ask.payload_sha256)
    row = await uow.proposals.edit(reviewed, payload, new_hash)
    if row is None:
        raise await explain(uow, reviewed)
    run_id, version = row
    uow.audits.add(_audit(ask, run_id, version, new_hash))
    await uow.commit()
    return Edited(ask.proposal_id, version, new_hash)


def _audit(ask: EditRequest, run_id: uuid.UUID, version: int, new_hash: str) -> ApprovalAudit:
    return ApprovalAudit(
        proposal_id=ask.proposal_id,
        run_id=run_id,
        decision="edited",
        actor=ask.actor,
        payload_sha256=new_hash,
        version=version,
        reason=f"edited version {ask.version} (sha256 {ask.payload_sha256[:12]}…)",
        remote_addr=ask.remote_addr,
    )
