"""What the approvals use cases read and write, one repository per thing held: its protocol
(what a use case sees, through `unit_of_work.py`; the fast tests hand in fakes) and its SQL,
over the request's session. The email jobs' repository is with their table (`email_jobs.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import (
    ApprovalAudit,
    DeadLetter,
    NsPendingPush,
    ProposedAction,
)
from cascade.shared.db.rows import insert_of
from cascade.shared.db.statuses import ProposalStatus
from cascade.shared.outbox import stage_raw
from cascade.shared.push_corrections import ACTION_PREFIX

RUN_STARTED = "run_started"
"""The audit trail's name for a run Mike started from the Execute form."""


@dataclass(frozen=True)
class Reviewed:
    """A proposal as Mike saw it: a decision or an edit holds only for this version and hash."""

    proposal_id: int
    version: int
    payload_sha256: str


class DecidedRow(NamedTuple):
    """What a decision's compare-and-set returns: the proposal's run and kind, the database
    clock at the decision, and the trace of the run that staged it."""

    run_id: uuid.UUID
    action_type: str
    decided_at: datetime
    traceparent: str | None


class Proposals(Protocol):
    """`proposed_actions`."""

    async def decide(
        self, reviewed: Reviewed, status: str, actor: str, reason: str | None
    ) -> DecidedRow | None:
        """Decide a pending, unexpired proposal at exactly this version and hash (one
        compare-and-set, by the database clock); None when it matched nothing."""
        ...

    async def edit(
        self, reviewed: Reviewed, payload: dict[str, Any], new_sha256: str
    ) -> tuple[uuid.UUID, int] | None:
        """Replace the payload of a pending, unexpired proposal at exactly this version and
        hash (the same compare-and-set), as its next version; its run and new version, or
        None when it matched nothing."""
        ...

    async def state(self, proposal_id: int) -> tuple[ProposedAction, bool] | None:
        """The proposal as it is now and whether it expired (by the database clock)."""
        ...

    async def draft(self, proposal_id: int) -> tuple[dict[str, Any], str] | None:
        """The proposal's payload and action type."""
        ...

    async def get(self, proposal_id: int) -> ProposedAction | None:
        """The proposal."""
        ...

    async def gate_of(self, run_id: uuid.UUID) -> ProposedAction | None:
        """The run's first proposal (its gate), under which later actions are audited."""
        ...

    async def pending_correction(self, push_id: int) -> ProposedAction | None:
        """The correction of this push still waiting for Mike, if any."""
        ...

    async def corrections_of(self, push_id: int) -> int:
        """How many corrections of this push were ever proposed."""
        ...

    async def add(self, proposal: ProposedAction) -> int:
        """Add the proposal and flush it; its id."""
        ...


class SqlProposals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def decide(
        self, reviewed: Reviewed, status: str, actor: str, reason: str | None
    ) -> DecidedRow | None:
        p = ProposedAction
        cas = (
            update(p)
            .where(
                p.id == reviewed.proposal_id,
                p.status == ProposalStatus.PENDING,
                p.payload_sha256 == reviewed.payload_sha256,
                p.version == reviewed.version,
                or_(p.expires_at.is_(None), p.expires_at > func.now()),
            )
            .values(status=status, decided_at=func.now(), decided_by=actor, decision_reason=reason)
            # The database clock, like the expiry check: one clock for every decision.
            .returning(p.run_id, p.action_type, func.now().label("decided_at"), p.traceparent)
            # Nothing of this session is loaded yet, so there is nothing to synchronise.
            .execution_options(synchronize_session=False)
        )
        row = (await self._session.execute(cas)).one_or_none()
        return None if row is None else DecidedRow(*row)

    async def edit(
        self, reviewed: Reviewed, payload: dict[str, Any], new_sha256: str
    ) -> tuple[uuid.UUID, int] | None:
        p = ProposedAction
        pid, version = reviewed.proposal_id, reviewed.version
        row = (
            await self._session.execute(
                update(p)
                .where(p.id == pid, p.status == ProposalStatus.PENDING, p.version == version)
                .where(p.payload_sha256 == reviewed.payload_sha256)
                .where(or_(p.expires_at.is_(None), p.expires_at > func.now()))
                .values(payload=payload, payload_sha256=new_sha256, version=p.version + 1)
                .returning(p.run_id, p.version)
                .execution_options(synchronize_session=False)
            )
        ).one_or_none()
        return None if row is None else (row.run_id, row.version)

    async def state(self, proposal_id: int) -> tuple[ProposedAction, bool] | None:
        p = ProposedAction
        expired = p.expires_at.is_not(None) & (p.expires_at <= func.now())
        found = (
            await self._session.execute(
                select(p, expired.label("expired")).where(p.id == proposal_id)
            )
        ).one_or_none()
        return None if found is None else (found[0], bool(found[1]))

    async def draft(self, proposal_id: int) -> tuple[dict[str, Any], str] | None:
        p = ProposedAction
        found = (
            await self._session.execute(select(p.payload, p.action_type).where(p.id == proposal_id))
        ).one_or_none()
        return None if found is None else (found.payload, found.action_type)

    async def get(self, proposal_id: int) -> ProposedAction | None:
        return await self._session.get(ProposedAction, proposal_id)

    async def gate_of(self, run_id: uuid.UUID) -> ProposedAction | None:
        return await self._session.scalar(
            select(ProposedAction)
            .where(ProposedAction.run_id == run_id)
            .order_by(ProposedAction.id)
            .limit(1)
        )

    async def pending_correction(self, push_id: int) -> ProposedAction | None:
        return await self._session.scalar(
            select(ProposedAction).where(
                ProposedAction.action_type.like(f"{ACTION_PREFIX}{push_id}:%"),
                ProposedAction.status == ProposalStatus.PENDING,
            )
        )

    async def corrections_of(self, push_id: int) -> int:
        count = await self._session.scalar(
            select(func.count())
            .select_from(ProposedAction)
            .where(ProposedAction.action_type.like(f"{ACTION_PREFIX}{push_id}:%"))
        )
        return int(count or 0)

    async def add(self, proposal: ProposedAction) -> int:
        self._session.add(proposal)
        await self._session.flush()
        return proposal.id


class RunStarts(Protocol):
    """The audit rows of runs Mike started from the Execute form (one per run)."""

    async def add_if_new(self, start: ApprovalAudit) -> bool:
        """Record the start; False when the run was started before."""
        ...

    async def of_run(self, run_id: uuid.UUID) -> ApprovalAudit | None:
        """The Execute form's start of this run, if Mike started it there."""
        ...


class SqlRunStarts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, start: ApprovalAudit) -> bool:
        claimed = await self._session.execute(
            insert_of(start)
            .on_conflict_do_nothing(
                index_elements=["run_id"], index_where=text(f"decision = '{RUN_STARTED}'")
            )
            .returning(ApprovalAudit.id)
        )
        return claimed.first() is not None

    async def of_run(self, run_id: uuid.UUID) -> ApprovalAudit | None:
        return await self._session.scalar(
            select(ApprovalAudit).where(
                ApprovalAudit.run_id == run_id, ApprovalAudit.decision == RUN_STARTED
            )
        )


class Pushes(Protocol):
    """`ns_pending_pushes`, as Mike's retry and correction read them (ns-pusher owns them)."""

    async def get(self, push_id: int) -> NsPendingPush | None:
        """The push."""
        ...

    async def lock(self, push_id: int) -> NsPendingPush | None:
        """The push, locked."""
        ...


class SqlPushes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, push_id: int) -> NsPendingPush | None:
        return await self._session.get(NsPendingPush, push_id)

    async def lock(self, push_id: int) -> NsPendingPush | None:
        return await self._session.get(NsPendingPush, push_id, with_for_update=True)


class DeadLetters(Protocol):
    """`dead_letters`, and the outbox their records go back through."""

    async def mark_redriven(self, letter_id: int, actor: str) -> DeadLetter | None:
        """Mark the dead letter redriven unless it was (a compare-and-set); the row, or None."""
        ...

    async def current(self, letter_id: int) -> DeadLetter | None:
        """The dead letter as it is now in the database."""
        ...

    async def stage_record(
        self, topic: str, payload: bytes, key: str | None, headers: Mapping[str, str]
    ) -> int:
        """Stage a record's own bytes in the outbox; its outbox row's id."""
        ...


class SqlDeadLetters:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mark_redriven(self, letter_id: int, actor: str) -> DeadLetter | None:
        marked = await self._session.scalars(
            update(DeadLetter)
            .where(DeadLetter.id == letter_id, DeadLetter.redriven_at.is_(None))
            .values(redriven_at=func.now(), redriven_by=actor)
            .returning(DeadLetter)
        )
        return marked.one_or_none()

    async def current(self, letter_id: int) -> DeadLetter | None:
        return await self._session.get(DeadLetter, letter_id, populate_existing=True)

    async def stage_record(
        self, topic: str, payload: bytes, key: str | None, headers: Mapping[str, str]
    ) -> int:
        row = stage_raw(self._session, topic, payload, key, dict(headers))
        await self._session.flush()
        return row.id
