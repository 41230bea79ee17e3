"""Tables of the message path: outbox, inbox (processed messages), attempts, dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column


class OutboxMessage(Base):
    """A message written with the state change that caused it, published later by the relay."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    key: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = now_column()
    sent_at: Mapped[datetime | None]
    # Failed publishes of this row: counted, retried after `next_attempt_at`, and parked
    # (`failed_at`) when the failure is permanent or the attempts are used up.
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
        Index("ix_outbox_unsent_key", "key", "id", postgresql_where=text("sent_at IS NULL")),
    )


class ProcessedMessage(Base):
    """Inbox: a consumer's claim on an idempotency key, inserted with the consumer's effect."""

    __tablename__ = "processed_messages"
    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(500), primary_key=True)
    processed_at: Mapped[datetime] = now_column()


class DeliveryAttempt(Base):
    """Failed-processing count per consumer and record, kept outside the failing transaction."""

    __tablename__ = "message_attempts"
    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    message_ref: Mapped[str] = mapped_column(String(500), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = now_column()


class DeadLetter(Base):
    """A record that could not be processed, kept for operators next to its `.dlq` copy."""

    __tablename__ = "dead_letters"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    consumer: Mapped[str] = mapped_column(String(200))
    message_ref: Mapped[str] = mapped_column(String(500))
    topic: Mapped[str] = mapped_column(String(300))
    key: Mapped[str | None] = mapped_column(String(300))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    # The record's own headers (a binary-mode CloudEvent's attributes are its ce_* headers),
    # so a redrive re-publishes the record as it was.
    headers: Mapped[dict[str, Any]] = mapped_column(server_default=text("'{}'::jsonb"))
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int]
    created_at: Mapped[datetime] = now_column()
    # Set once, by the operator's redrive (compare-and-set on `redriven_at IS NULL`), with
    # the outbox row that re-published the record.
    redriven_at: Mapped[datetime | None]
    redriven_by: Mapped[str | None] = mapped_column(String(100))
    redrive_outbox_id: Mapped[int | None] = mapped_column(BigInteger)
    __table_args__ = (
        Index("uq_dead_letters_consumer_ref", "consumer", "message_ref", unique=True),
    )


class RequestSlot(Base):
    """One of the `limit` slots of a pool of outside requests (NetSuite's account
    concurrency limit): free when `holder` is NULL or its lease has run out, so a killed
    holder frees its slot by itself (`cascade.shared.request_slots`)."""

    __tablename__ = "request_slots"
    pool: Mapped[str] = mapped_column(String(100), primary_key=True)
    slot: Mapped[int] = mapped_column(primary_key=True)
    # Who holds it: process and a value fresh per acquisition, so a late release of an
    # expired lease never frees the slot of the next holder.
    holder: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    acquired_at: Mapped[datetime | None]
