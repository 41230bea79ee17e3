"""Dead letters for operators: the list's filters, the reads, and their JSON shape."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.queries import Page
from cascade.approvals.views import Json, iso
from cascade.shared.db.models import DeadLetter, OutboxMessage
from cascade.shared.envelope import Envelope

DeadLetterState = Literal["pending", "redriven", "all"]


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters to list: not yet redriven ones by default."""

    state: DeadLetterState = "pending"
    consumer: str | None = None
    topic: str | None = None


async def list_dead_letters(
    session: AsyncSession, where: DeadLetterFilter, page: Page
) -> Sequence[DeadLetter]:
    """Dead letters matching the filter, newest first."""
    d = DeadLetter
    query = select(d)
    if where.state == "pending":
        query = query.where(d.redriven_at.is_(None))
    elif where.state == "redriven":
        query = query.where(d.redriven_at.is_not(None))
    if where.consumer is not None:
        query = query.where(d.consumer == where.consumer)
    if where.topic is not None:
        query = query.where(d.topic == where.topic)
    query = query.order_by(d.id.desc()).limit(page.limit).offset(page.offset)
    return (await session.scalars(query)).all()


async def dead_letter_with_outbox(
    session: AsyncSession, letter_id: int
) -> tuple[DeadLetter, OutboxMessage | None] | None:
    """One dead letter and the outbox row of its redrive (if redriven), or None."""
    letter = await session.get(DeadLetter, letter_id)
    if letter is None:
        return None
    row = None
    if letter.redrive_outbox_id is not None:
        row = await session.get(OutboxMessage, letter.redrive_outbox_id)
    return letter, row


def dead_letter_item(d: DeadLetter) -> Json:
    """One entry of the dead-letter list."""
    return {
        "id": d.id,
        "consumer": d.consumer,
        "topic": d.topic,
        "key": d.key,
        "message_ref": d.message_ref,
        "error": d.error,
        "attempts": d.attempts,
        "created_at": iso(d.created_at),
        "redriven_at": iso(d.redriven_at),
        "redriven_by": d.redriven_by,
        "redrive_outbox_id": d.redrive_outbox_id,
    }


def idempotency_key(d: DeadLetter) -> str | None:
    """The record's idempotency key as a Cascade consumer reads it: its envelope's, or a
    binary-mode CloudEvent's `ce_id`; None for bytes that are neither."""
    try:
        return Envelope.from_bytes(d.payload).idempotency_key
    except Exception:
        ce_id = d.headers.get("ce_id")
        return str(ce_id) if ce_id is not None else None


def dead_letter_detail(d: DeadLetter, outbox: OutboxMessage | None) -> Json:
    """Everything about one dead letter: its record as it failed (key, headers, value: text
    when it is UTF-8, else base64), why, and where its redrive got to."""
    try:
        value: Json = {"payload_text": d.payload.decode("utf-8")}
    except UnicodeDecodeError:
        value = {"payload_base64": base64.b64encode(d.payload).decode("ascii")}
    redrive = None
    if outbox is not None:
        redrive = {
            "outbox_id": outbox.id,
            "sent_at": iso(outbox.sent_at),
            "failed_at": iso(outbox.failed_at),
            "last_error": outbox.last_error,
        }
    return {
        **dead_letter_item(d),
        "headers": d.headers,
        "idempotency_key": idempotency_key(d),
        "payload_bytes": len(d.payload),
        "payload_sha256": hashlib.sha256(d.payload).hexdigest(),
        **value,
        "redrive": redrive,
    }
