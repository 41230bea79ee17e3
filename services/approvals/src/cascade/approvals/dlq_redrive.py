"""An operator re-publishes a dead-lettered record to its own topic, once the cause is fixed.

Through the outbox, in the transaction that marks the dead letter redriven and writes the
audit row: the record leaves only if the mark commits, and the mark commits only once. The
mark is a compare-and-set on `redriven_at IS NULL`, so of two redrives of one dead letter
(twice in a row, or at the same moment from two terminals) exactly one wins; the other is
refused and names who redrove it when.

The record is the one that failed, byte for byte: its key (its run's partition), its own
headers (a binary-mode CloudEvent's attributes) and its value, so its idempotency key is
unchanged and every consumer that had processed it already skips it through its inbox.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from cascade.approvals.unit_of_work import RedriveWork
from cascade.shared.db.models import ApprovalAudit, DeadLetter
from cascade.shared.envelope import Envelope

DLQ_REDRIVEN = "dlq_redriven"
"""The audit trail's name for a dead letter an operator re-published."""

REDRIVEN_FROM_HEADER = "x-cascade-redriven-from"
"""Added to the record's own headers: which dead letter it came back from (for operators
reading the topic; no consumer acts on it)."""


class RedriveNotFound(Exception):
    """No dead letter has this id."""


class AlreadyRedriven(Exception):
    """The dead letter was redriven before: a record is re-published at most once."""

    def __init__(self, letter_id: int, at: datetime | None, by: str | None) -> None:
        when = at.isoformat() if at is not None else "an unknown time"
        super().__init__(f"dead letter {letter_id} was already redriven at {when} by {by}")
        self.at = at
        self.by = by


@dataclass(frozen=True)
class RedriveRequest:
    """Who redrives which dead letter, from where, and why."""

    letter_id: int
    actor: str
    remote_addr: str | None
    reason: str | None = None


@dataclass(frozen=True)
class Redriven:
    """The dead letter as marked, and the outbox row that re-publishes its record."""

    letter: DeadLetter
    outbox_id: int


def record_run_id(letter: DeadLetter) -> uuid.UUID | None:
    """The run the record belongs to: Cascade keys every record by its run id (and its
    envelope names it); an outside event's record may name none."""
    if letter.key is not None:
        try:
            return uuid.UUID(letter.key)
        except ValueError:
            pass
    try:
        return Envelope.from_bytes(letter.payload).run_id
    except Exception:
        # Not an envelope (an outside event, or the malformed bytes that were refused).
        return None


def redrive_headers(letter: DeadLetter) -> dict[str, str]:
    """The record's own headers, and where it came back from."""
    own = {str(name): str(value) for name, value in letter.headers.items()}
    return {**own, REDRIVEN_FROM_HEADER: str(letter.id)}


async def redrive(uow: RedriveWork, ask: RedriveRequest) -> Redriven:
    """Mark the dead letter redriven (once), stage its record and audit it; commits."""
    letter = await uow.dead_letters.mark_redriven(ask.letter_id, ask.actor)
    if letter is None:
        # Lost the compare-and-set (or no such row): the row as it is now says which.
        existing = await uow.dead_letters.current(ask.letter_id)
        if existing is None:
            raise RedriveNotFound(f"no dead letter {ask.letter_id}")
        raise AlreadyRedriven(ask.letter_id, existing.redriven_at, existing.redriven_by)
    headers = redrive_headers(letter)
    outbox_id = await uow.dead_letters.stage_record(
        letter.topic, letter.payload, letter.key, headers
    )
    letter.redrive_outbox_id = outbox_id
    why = f": {ask.reason}" if ask.reason else ""
    uow.audits.add(
        ApprovalAudit(
            proposal_id=None, run_id=record_run_id(letter), decision=DLQ_REDRIVEN,
            actor=ask.actor, payload_sha256=hashlib.sha256(letter.payload).hexdigest(),
            version=1, remote_addr=ask.remote_addr,
            reason=(
                f"dead letter {letter.id} ({letter.consumer}, {letter.message_ref}) "
                f"re-published to {letter.topic} as outbox row {outbox_id}{why}"
            )[:2000],
        )
    )  # fmt: skip
    await uow.commit()
    return Redriven(letter, outbox_id)
