"""Tables of the approvals UI: server-side sessions, login throttling, approved emails."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column
from cascade.shared.db.statuses import EmailJobStatus, status_check
from cascade.shared.tracing import traceparent_column


class UiSession(Base):
    """A logged-in browser; only the SHA-256 of its cookie is stored, so a leaked table
    cannot be replayed as cookies."""

    __tablename__ = "ui_sessions"
    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    remote_addr: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = now_column()
    last_seen_at: Mapped[datetime] = now_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginThrottle(Base):
    """Failed logins per key (`addr:<ip>` or `global`) and when the next try is allowed."""

    __tablename__ = "ui_login_throttle"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    blocked_until: Mapped[datetime | None]


class EmailSend(Base):
    """An approved email that the SMTP server accepted, one row per proposal."""

    __tablename__ = "email_sends"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposed_actions.id"), unique=True)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(300))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    smtp_response: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = now_column()


class EmailJob(Base):
    """An approved email as a leased job (`cascade.shared.leased_jobs`), one per proposal.

    Statuses: queued -> sending -> sent | retrying | failed; retrying -> sending when due;
    failed -> queued on Mike's Resend. `next_attempt_at` is when it is due, `lease_until`
    ends a sending claim (past it another poller takes over). `attempts` counts every send
    ever tried; a Resend opens a new round of the schedule's attempts.
    """

    __tablename__ = "email_jobs"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposed_actions.id"), unique=True)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version: Mapped[int]
    payload_sha256: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    message_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    smtp_response: Mapped[str | None] = mapped_column(Text)
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("status", EmailJobStatus),
        Index("ix_email_jobs_status_due", "status", "next_attempt_at"),
    )
