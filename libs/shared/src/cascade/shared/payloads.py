"""Payload models carried in `Envelope.data`, one per event type; tolerant readers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cascade.shared.db.statuses import CheckStatus, PushStatus


class _Payload(BaseModel):
    # Ignore unknown fields so a producer can add fields before its consumers learn them.
    model_config = ConfigDict(extra="ignore")


class WorkflowRequested(_Payload):
    """intake → runner: a validated request to run a contract."""

    workflow_type: str
    inputs: dict[str, Any]
    source: str | None = None
    requested_by: str | None = None
    started_by: str | None = Field(default=None, max_length=200)
    """The path the request came in on (`cascade.intake.starts`), not the client's word."""
    client_idempotency_key: str | None = Field(default=None, max_length=200)


class AdminRunRequested(BaseModel):
    """approvals → intake (`intake.admin_requested`): Mike asked for a run on the approvals
    page's Execute form. `request` is the run request as `check_request` takes it (intake
    checks it again, with the same rules); `requested_by` is the session's admin. Strict,
    unlike the tolerant readers: this starts a run, so nothing unexpected passes."""

    model_config = ConfigDict(extra="forbid")

    request: dict[str, Any]
    requested_by: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._@-]+$")


class NsPush(_Payload):
    """runner → ns-pusher: push the staged `ns_pending_pushes` row `push_id` to NetSuite."""

    push_id: int
    record_type: str
    external_id: str


class NsPushResult(_Payload):
    """ns-pusher → runner: NetSuite confirmed the push (`applied`) or the policy gave up."""

    push_id: int
    record_type: str
    external_id: str
    status: Literal[PushStatus.APPLIED, PushStatus.FAILED]
    netsuite_id: str | None = None
    last_modified: datetime | None = None
    attempts: int
    error: str | None = None


class WorkflowAlert(_Payload):
    """any → operators: something needs a human (final failure after retries, expiry, ...)."""

    severity: Literal["info", "warning", "error", "critical"] = "error"
    reason: str
    detail: str
    context: dict[str, Any] = Field(default_factory=dict)


class ProposalStaged(_Payload):
    """runner → subscribers: a proposal waits for the admin's decision (notifications, the
    benchmark's approver); informational, deciding still goes through the approvals API."""

    proposal_id: int
    action_type: str
    approver: str
    version: int
    payload_sha256: str
    expires_at: datetime | None = None


class ProposalDecision(_Payload):
    """approvals → runner: the admin approved or rejected a proposal, bound to its hash."""

    proposal_id: int
    action_type: str
    version: int
    payload_sha256: str
    decided_by: str
    reason: str | None = None


class WorkflowEnded(_Payload):
    """runner → subscribers: a run reached its terminal state (completed, partial, failed)."""

    workflow_type: str
    status: str
    started_at: datetime | None = None
    completed_at: datetime
    steps: dict[str, str] = Field(default_factory=dict)
    reason: str | None = None
    failed_rules: list[str] = Field(default_factory=list)


class VerifyResultEvent(_Payload):
    """verifier -> subscribers: a check of a run was decided (or staged as skipped)."""

    check_name: str
    kind: str
    status: Literal[CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.TIMEOUT, CheckStatus.SKIPPED]
    attempts: int
    reason: str
    due_at: datetime | None = None
    deadline_at: datetime | None = None
    executed_at: datetime | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
    round: int = 0
    """0 for the check after the run; one more per re-verification (e.g. after a repair)."""


class NsPushRetryRequested(_Payload):
    """approvals → ns-pusher: Mike asked for a new round of attempts of a failed push."""

    push_id: int
    requested_by: str | None = None
