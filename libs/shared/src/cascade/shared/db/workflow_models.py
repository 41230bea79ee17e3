"""Tables of workflow runs: runs, steps, proposals, audit, logs, events, verify results."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Identity, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.db.base import Base, now_column
from cascade.shared.db.statuses import (
    CheckKind,
    CheckStatus,
    ProposalStatus,
    PushStatus,
    RunStatus,
    StepStatus,
    TickOutcome,
    status_check,
)
from cascade.shared.tracing import traceparent_column


class WorkflowRun(Base):
    """One execution of a contract, from request to its terminal state."""

    __tablename__ = "workflow_runs"
    run_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    workflow_type: Mapped[str] = mapped_column(String(100), index=True)
    contract_version: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(30), index=True)
    inputs: Mapped[dict[str, Any]]
    context: Mapped[dict[str, Any] | None]
    source: Mapped[str | None] = mapped_column(String(200))
    # Who or what started the run, set by the path it came in on (never by the request):
    # `api`, `form:<form>`, `upstream:<source>`, `event:<topic>`, `cron:<workflow_type>`.
    started_by: Mapped[str | None] = mapped_column(String(200))
    requested_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    # The business subject, rendered by the runner from the contract's `presentation`:
    # what lists show instead of a UUID, the keys that make two pending runs twins, and
    # the lower-case text the search box matches.
    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    twin_keys: Mapped[list[str] | None] = mapped_column(ARRAY(Text))
    search_text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        status_check("status", RunStatus),
        Index("ix_workflow_runs_twin_keys", "twin_keys", postgresql_using="gin"),
        # The runs list, newest first, reads 50 rows of this index instead of sorting them all.
        Index("ix_workflow_runs_requested", "requested_at", "run_id"),
        # The search box's `search_text LIKE '%term%'` (pg_trgm), without a scan.
        Index(
            "ix_workflow_runs_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )


class IntakeRequest(Base):
    """An accepted intake request, keyed by the client's Idempotency-Key."""

    __tablename__ = "intake_requests"
    idempotency_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = now_column()


class WorkflowRunStep(Base):
    """Status and attempts of one fan-out step of one run; committed with the step's effect."""

    __tablename__ = "workflow_run_steps"
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.run_id"), primary_key=True)
    step_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    output: Mapped[dict[str, Any] | None]
    next_attempt_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    __table_args__ = (status_check("status", StepStatus),)


class ProposedAction(Base):
    """A staged action waiting for the admin's decision (the HITL gate)."""

    __tablename__ = "proposed_actions"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_runs.run_id"), index=True)
    action_type: Mapped[str] = mapped_column(String(100))
    entity_ref: Mapped[str] = mapped_column(String(300))
    approver: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30), index=True)
    payload: Mapped[dict[str, Any]]
    payload_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    expires_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    __table_args__ = (
        status_check("status", ProposalStatus),
        UniqueConstraint("run_id", "action_type", name="uq_proposed_actions_run"),
        # The inbox's first page (a status, newest or oldest first) and its "all" view walk
        # these in order and stop after a page, instead of joining and sorting every row.
        Index("ix_proposed_actions_status_created", "status", "created_at", "id"),
        Index("ix_proposed_actions_created", "created_at", "id"),
    )


class ApprovalAudit(Base):
    """Append-only record of every decision on a proposal: who, when, from where, which hash;
    of every run Mike started from the Execute form (`run_started`, no proposal; the hash
    is the request's); and of every dead letter an operator redrove (`dlq_redriven`, no
    proposal; the hash is the record's value)."""

    __tablename__ = "approval_audit"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposed_actions.id"), index=True)
    # None only for an operator's redrive of a dead letter that names no run (`dlq_redriven`).
    run_id: Mapped[uuid.UUID | None]
    decision: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    reason: Mapped[str | None] = mapped_column(Text)
    remote_addr: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = now_column()
    __table_args__ = (
        # One start per run: the Execute form's key names the run, so a double submit of the
        # same form finds this row instead of starting a second run.
        Index(
            "uq_approval_audit_run_started",
            "run_id",
            unique=True,
            postgresql_where=text("decision = 'run_started'"),
        ),
    )


class WorkflowRunLog(Base):
    """The runner's one summary row per finished run."""

    __tablename__ = "workflow_run_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    workflow_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    summary_json: Mapped[dict[str, Any]]
    __table_args__ = (status_check("status", RunStatus),)


class ReflexionEntry(Base):
    """A narrative of what a run did and why, searchable by later runs."""

    __tablename__ = "reflexion_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    workflow_type: Mapped[str] = mapped_column(String(100))
    narrative: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONB, default=list)
    subject_key: Mapped[str | None] = mapped_column(String(500), index=True)
    email_domain: Mapped[str | None] = mapped_column(String(300), index=True)
    created_at: Mapped[datetime] = now_column()


class EventRecord(Base):
    """The event ledger: one row per event fact, unique by idempotency key."""

    __tablename__ = "events"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(200), index=True)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    idempotency_key: Mapped[str] = mapped_column(String(500), unique=True)
    data: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = now_column()


class VerifyResult(Base):
    """A delayed check staged by the runner and executed by the verifier when due.

    Statuses: pending -> running -> pass | fail | timeout, or back to pending with a later
    `due_at` when a failure is retried before `deadline_at`; `skipped` is staged final.
    `lease_until` ends a running claim: past it another verifier takes the check over.
    """

    __tablename__ = "workflow_verify_results"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    check_name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    spec: Mapped[dict[str, Any]]
    due_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    round: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    """0 for the check after the run; each re-verification (e.g. after a repair) adds one,
    so its `verify.result` is a new event, not a duplicate of the earlier round's."""
    detail: Mapped[dict[str, Any] | None]
    executed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    created_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("status", CheckStatus),
        status_check("kind", CheckKind),
        UniqueConstraint("run_id", "check_name", name="uq_verify_run_check"),
        Index(
            "ix_verify_due",
            "due_at",
            postgresql_where=text(f"status = '{CheckStatus.PENDING.value}'"),
        ),
        Index(
            "ix_verify_lease",
            "lease_until",
            postgresql_where=text(f"status = '{CheckStatus.RUNNING.value}'"),
        ),
    )


class NsPendingPush(Base):
    """A NetSuite write staged by the runner; `applied` only once NetSuite confirmed it."""

    __tablename__ = "ns_pending_pushes"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(index=True)
    record_type: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    netsuite_id: Mapped[str | None] = mapped_column(String(100))
    applied_at: Mapped[datetime | None]
    traceparent: Mapped[str | None] = traceparent_column()
    """The trace of the work that inserted the row, continued by the work it starts."""
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = now_column()
    __table_args__ = (
        status_check("status", PushStatus),
        UniqueConstraint("record_type", "external_id", name="uq_ns_push_record_external"),
    )


class TriggerTick(Base):
    """A cron tick of a contract, claimed once: the row commits in the transaction that
    stages its run request, so a tick fires once whatever the replicas and crashes.
    `outcome`: `fired` (with its run), `refused` (its inputs failed the contract), `skipped`
    (passed over by `catch_up`) or `baseline`
    (where a contract seen for the first time starts counting)."""

    __tablename__ = "trigger_ticks"
    workflow_type: Mapped[str] = mapped_column(String(100), primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    claimed_at: Mapped[datetime] = now_column()
    __table_args__ = (status_check("outcome", TickOutcome),)
