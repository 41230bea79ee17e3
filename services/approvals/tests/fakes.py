"""The approvals units of work in memory (`unit_of_work.py`, `email_jobs.ResendWork`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cascade.approvals.repositories import DecidedRow, Reviewed
from cascade.approvals.sessions import SessionPolicy, SessionUser
from cascade.devstack.fake_uow import FakeRepository, FakeRows, FakeUnitOfWork
from cascade.shared.db.models import (
    ApprovalAudit,
    DeadLetter,
    EmailJob,
    EmailSend,
    NsPendingPush,
    ProposedAction,
)
from cascade.shared.push_corrections import ACTION_PREFIX

NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
"""The database clock of the fakes."""


class FakeProposals(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, ProposedAction] = {}

    def _open(self, reviewed: Reviewed) -> ProposedAction | None:
        row = self.rows.get(reviewed.proposal_id)
        seen = ("pending", reviewed.version, reviewed.payload_sha256)
        if row is None or (row.status, row.version, row.payload_sha256) != seen:
            return None
        return None if row.expires_at is not None and row.expires_at <= NOW else row

    async def decide(
        self, reviewed: Reviewed, status: str, actor: str, reason: str | None
    ) -> DecidedRow | None:
        row = self._open(reviewed)
        if row is None:
            return None
        row.status, row.decided_at, row.decided_by, row.decision_reason = status, NOW, actor, reason
        return DecidedRow(row.run_id, row.action_type, NOW, row.traceparent)

    async def edit(
        self, reviewed: Reviewed, payload: dict[str, Any], new_sha256: str
    ) -> tuple[uuid.UUID, int] | None:
        row = self._open(reviewed)
        if row is None:
            return None
        row.payload, row.payload_sha256, row.version = payload, new_sha256, row.version + 1
        return row.run_id, row.version

    async def state(self, proposal_id: int) -> tuple[ProposedAction, bool] | None:
        row = self.rows.get(proposal_id)
        if row is None:
            return None
        return row, row.expires_at is not None and row.expires_at <= NOW

    async def draft(self, proposal_id: int) -> tuple[dict[str, Any], str] | None:
        row = self.rows.get(proposal_id)
        return None if row is None else (row.payload, row.action_type)

    async def get(self, proposal_id: int) -> ProposedAction | None:
        return self.rows.get(proposal_id)

    async def gate_of(self, run_id: uuid.UUID) -> ProposedAction | None:
        of_run = sorted((r for r in self.rows.values() if r.run_id == run_id), key=lambda r: r.id)
        return of_run[0] if of_run else None

    def _corrections(self, push_id: int) -> list[ProposedAction]:
        prefix = f"{ACTION_PREFIX}{push_id}:"
        return [r for r in self.rows.values() if r.action_type.startswith(prefix)]

    async def pending_correction(self, push_id: int) -> ProposedAction | None:
        return next((r for r in self._corrections(push_id) if r.status == "pending"), None)

    async def corrections_of(self, push_id: int) -> int:
        return len(self._corrections(push_id))

    async def add(self, proposal: ProposedAction) -> int:
        proposal.id = max(self.rows, default=0) + 1
        self.rows[proposal.id] = proposal
        return proposal.id


class FakeRunStarts(FakeRepository):
    def __init__(self) -> None:
        self.rows: list[ApprovalAudit] = []

    async def add_if_new(self, start: ApprovalAudit) -> bool:
        if await self.of_run(start.run_id) is not None:  # type: ignore[arg-type]
            return False
        self.rows.append(start)
        return True

    async def of_run(self, run_id: uuid.UUID) -> ApprovalAudit | None:
        return next((r for r in self.rows if r.run_id == run_id), None)


class FakePushes(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, NsPendingPush] = {}

    async def get(self, push_id: int) -> NsPendingPush | None:
        return self.rows.get(push_id)

    async def lock(self, push_id: int) -> NsPendingPush | None:
        return self.rows.get(push_id)


class FakeEmailJobs(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, EmailJob] = {}

    async def enqueue(self, proposal: ProposedAction, message_id: str) -> bool:
        if proposal.id in self.rows:
            return False
        self.rows[proposal.id] = EmailJob(
            id=len(self.rows) + 1, proposal_id=proposal.id, run_id=proposal.run_id,
            version=proposal.version, payload_sha256=proposal.payload_sha256,
            recipient=str(proposal.payload["to"]), message_id=message_id, status="queued",
        )  # fmt: skip
        return True

    async def of_proposal(self, proposal_id: int) -> EmailJob | None:
        return self.rows.get(proposal_id)

    def _job(self, job_id: int) -> EmailJob | None:
        return next((j for j in self.rows.values() if j.id == job_id), None)

    async def requeue_failed(self, job_id: int, max_attempts: int) -> bool:
        job = self._job(job_id)
        if job is None or job.status != "failed":
            return False
        job.status = "queued"
        return True

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        job = self._job(job_id)
        if job is None or (job.status, job.lease_until) != ("sending", lease_until):
            return False
        job.status, job.last_error = values["status"], values["last_error"]
        return True


class FakeEmailSends(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, EmailSend] = {}

    async def keep_first(self, send: EmailSend) -> None:
        self.rows.setdefault(send.proposal_id, send)


class FakeDeadLetters(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, DeadLetter] = {}
        self.records: list[tuple[str, bytes, str | None, dict[str, str]]] = []

    async def mark_redriven(self, letter_id: int, actor: str) -> DeadLetter | None:
        letter = self.rows.get(letter_id)
        if letter is None or letter.redriven_at is not None:
            return None
        letter.redriven_at, letter.redriven_by = NOW, actor
        return letter

    async def current(self, letter_id: int) -> DeadLetter | None:
        return self.rows.get(letter_id)

    async def stage_record(
        self, topic: str, payload: bytes, key: str | None, headers: Mapping[str, str]
    ) -> int:
        self.records.append((topic, payload, key, dict(headers)))
        return 100 + len(self.records)


@dataclass
class FakeThrottle:
    failures: int
    blocked_until: datetime | None = None


class FakeLoginThrottles(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[str, FakeThrottle] = {}

    async def take(self, key: str) -> int | None:
        row = self.rows.setdefault(key, FakeThrottle(0))
        if row.blocked_until is not None and row.blocked_until > NOW:
            return None
        row.failures += 1
        return row.failures

    async def block(self, key: str, delay_s: float) -> None:
        self.rows[key].blocked_until = NOW + timedelta(seconds=delay_s)

    async def blocked_for(self, keys: Sequence[str]) -> float:
        until = [r.blocked_until for k, r in self.rows.items() if k in keys and r.blocked_until]
        return max([max((u - NOW).total_seconds(), 0.0) for u in until], default=0.0)

    async def forgive(self, keys: Sequence[str]) -> None:
        for key in keys:
            self.rows.pop(key, None)


@dataclass
class FakeSession:
    actor: str
    remote_addr: str | None
    expires_at: datetime
    last_seen_at: datetime = NOW


class FakeUiSessions(FakeRepository):
    """Sessions by cookie (the fake keeps the cookie itself, not its digest)."""

    def __init__(self) -> None:
        self.rows: dict[str, FakeSession] = {}
        self.opened = 0

    def _live(self, row: FakeSession, policy: SessionPolicy) -> bool:
        idle_limit = NOW - timedelta(seconds=policy.idle_s)
        return row.expires_at > NOW and row.last_seen_at > idle_limit

    async def open(self, actor: str, remote_addr: str | None, policy: SessionPolicy) -> str:
        self.opened += 1
        cookie = f"cookie-{self.opened}"
        expires_at = NOW + timedelta(seconds=policy.absolute_s)
        self.rows[cookie] = FakeSession(actor, remote_addr, expires_at)
        return cookie

    async def touch(
        self, cookie: str, remote_addr: str | None, policy: SessionPolicy
    ) -> SessionUser | None:
        row = self.rows.get(cookie)
        if row is None or not self._live(row, policy):
            return None
        row.last_seen_at = NOW
        return SessionUser(row.actor, f"csrf-of-{cookie}", remote_addr)

    async def close(self, cookie: str) -> None:
        self.rows.pop(cookie, None)

    async def purge_expired(self, policy: SessionPolicy) -> None:
        for cookie in [c for c, r in self.rows.items() if not self._live(r, policy)]:
            del self.rows[cookie]


class FakeApprovalsWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.proposals = FakeProposals()
        self.audits: FakeRows[ApprovalAudit] = FakeRows()
        self.pushes = FakePushes()
        self.email_jobs = FakeEmailJobs()
        self.email_sends = FakeEmailSends()
        self.run_starts = FakeRunStarts()
        self.dead_letters = FakeDeadLetters()
        self.login_throttles = FakeLoginThrottles()
        self.ui_sessions = FakeUiSessions()
