"""Objects the runner writes to the object store, as leased jobs (`cascade.shared.leased_jobs`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column
from cascade.shared.db.statuses import FinalCheckStatus, ObjectPutStatus, RepairStatus, status_check
from cascade.shared.tracing import traceparent_column


class ObjectPut(Base):
    """One `object_put` step's object: the exact bytes, their SHA-256 and key, fixed when the
    step became due (in the runner's transaction), so every attempt PUTs identical bytes.

    Statuses: queued -> putting -> stored | retrying | failed; retrying -> putting when due.
    `lease_until` ends a putting claim (past it another worker takes over and PUTs the same
    bytes again, which leaves the same object).
    """

    __tablename__ = "object_puts"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID]
    step_id: Mapped[str] = mapped_column(String(100))
    object_key: Mapped[str] = mapped_column(Text)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(200))
    stored_at: Mapped[datetime | None]
    repair_id: Mapped[int | None] = mapped_column(BigInteger)
    """The repair (`verify_repairs`) whose round this is, while one writes the object again."""
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("status", ObjectPutStatus),
        UniqueConstraint("run_id", "step_id", name="uq_object_puts_run_step"),
        Index("ix_object_puts_status_due", "status", "next_attempt_at"),
    )


class VerifyRepair(Base):
    """A repair of a failed verify check: the contract's `repair:` for one failing round.

    Statuses: proposed (waiting for the approver) -> running -> done | failed, or
    rejected; `verified` is the re-verification's final status (pass / fail / timeout).
    One row per (run, check, round): a redelivered failure stages nothing twice.
    """

    __tablename__ = "verify_repairs"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID]
    check_name: Mapped[str] = mapped_column(String(100))
    round: Mapped[int]
    """The round of the check whose failure this repairs."""
    rerun: Mapped[list[str]] = mapped_column(JSONB)
    drift: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))
    proposal_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    verified: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("status", RepairStatus),
        status_check("verified", FinalCheckStatus),
        UniqueConstraint("run_id", "check_name", "round", name="uq_verify_repairs_round"),
    )
