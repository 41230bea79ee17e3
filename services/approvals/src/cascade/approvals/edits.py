"""Mike edits an email draft: a new version and hash, by the same compare-and-set as a decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update

from cascade.approvals.decisions import explain
from cascade.shared.canonical import sha256_of
from cascade.shared.db.models import ApprovalAudit, ProposedAction
from cascade.shared.db.uow import UnitOfWork

EMAIL_ACTION = "propose_email_to_customer"
MAX_SUBJECT = 300
MAX_BODY = 20_000


class NotEditable(Exception):
    """Only email drafts are edited; everything else is approved or rejected as proposed."""


@dataclass(frozen=True)
class EditRequest:
    """New subject and body for exactly this version and hash of an email proposal."""

    proposal_id: int
    version: int
    payload_sha256: str
    subject: str
    body: str
    actor: str
    remote_addr: str | None


@dataclass(frozen=True)
class Edited:
    """The proposal's new version and hash."""

    proposal_id: int
    version: int
    payload_sha256: str


def edited_payload(payload: dict[str, Any], subject: str, body: str) -> dict[str, Any]:
    """The draft with Mike's text (pure); line endings normalised so the hash is stable."""
    return {**payload, "subject": subject.strip(), "body": body.replace("\r\n", "\n")}


async def edit_email(uow: UnitOfWork, ask: EditRequest) -> Edited:
    """Replace subject and body only when the proposal is still the reviewed version."""
    p = ProposedAction
    found = (
        await uow.session.execute(select(p.payload, p.action_type).where(p.id == ask.proposal_id))
    ).one_or_none()
    if found is not None and found.action_type != EMAIL_ACTION:
        raise NotEditable(f"a {found.action_type} proposal cannot be edited")
    payload = edited_payload(found.payload if found is not None else {}, ask.subject, ask.body)
    new_hash = sha256_of(payload)
    row = (
        await uow.session.execute(
            update(p)
            .where(p.id == ask.proposal_id, p.status == "pending", p.version == ask.version)
            .where(p.payload_sha256 == ask.payload_sha256)
            .where(or_(p.expires_at.is_(None), p.expires_at > func.now()))
            .values(payload=payload, payload_sha256=new_hash, version=p.version + 1)
            .returning(p.run_id, p.version)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if row is None:
        raise await explain(uow, ask.proposal_id, ask.version, ask.payload_sha256)
    uow.session.add(_audit(ask, row.run_id, row.version, new_hash))
    await uow.commit()
    return Edited(ask.proposal_id, row.version, new_hash)


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
