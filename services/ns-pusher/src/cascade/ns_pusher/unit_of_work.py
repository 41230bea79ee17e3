"""ns-pusher's unit of work for its handlers: what they read and write, and the SQL one.

The handlers hand their use cases `SqlPusherWork(uow)` over the consumer's open
`UnitOfWork`; the fast tests hand in `tests/fakes.py`'s fake. The pushes' SQL is the job
table's (`jobs.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.ns_pusher import jobs
from cascade.ns_pusher.recording import MIRRORS
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.db.rows import Rows, SqlRows
from cascade.shared.db.uow import AbstractUnitOfWork, BoundUnitOfWork, UnitOfWork
from cascade.shared.inbox import Inbox


class Pushes(Protocol):
    """`ns_pending_pushes`, the job table (`jobs.py`)."""

    async def mark_due(self, push_id: int) -> tuple[str, str] | None:
        """Make a pending push due now (`jobs.mark_due`); its (record type, external id), or
        None when it is not waiting to be pushed."""
        ...

    async def view(self, push_id: int) -> dict[str, Any] | None:
        """The push as operators see it (`jobs.view`), or None."""
        ...

    async def retry_failed(self, push_id: int, max_attempts: int) -> bool:
        """A new round of attempts for a failed push (`jobs.retry_failed`)."""
        ...

    async def lock(self, push_id: int) -> NsPendingPush | None:
        """The push row, locked."""
        ...


class PushWork(AbstractUnitOfWork, Protocol):
    """What `ns.push` and a retry request touch: the pushes."""

    pushes: Pushes


class Mirrors(Protocol):
    """The mirror tables of pushed records (`recording.MIRRORS`: `customers`)."""

    async def update(self, record_type: str, external_id: str, values: Mapping[str, Any]) -> None:
        """Set `values` on the mirror row of the record (none for a type without a mirror)."""
        ...


class GateProposals(Protocol):
    """`proposed_actions` and their audit rows, as a correction's approval reads them."""

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        """The proposal, locked."""
        ...

    async def audit(self, proposal_id: int) -> Sequence[ApprovalAudit]:
        """Its audit rows."""
        ...


class CorrectionWork(PushWork, Protocol):
    """What applying an approved correction touches."""

    proposals: GateProposals
    audits: Rows[ApprovalAudit]
    mirrors: Mirrors
    inbox: Inbox
    """Where an ignored approval's claim is released."""

    async def flush(self) -> None:
        """Write the row changes pending now (before a statement that reads them)."""
        ...


class SqlPushes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def mark_due(self, push_id: int) -> tuple[str, str] | None:
        return await jobs.mark_due(self._session, push_id)

    async def view(self, push_id: int) -> dict[str, Any] | None:
        return await jobs.view(self._session, push_id)

    async def retry_failed(self, push_id: int, max_attempts: int) -> bool:
        return await jobs.retry_failed(self._session, push_id, max_attempts)

    async def lock(self, push_id: int) -> NsPendingPush | None:
        return await self._session.get(NsPendingPush, push_id, with_for_update=True)


class SqlMirrors:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def update(self, record_type: str, external_id: str, values: Mapping[str, Any]) -> None:
        table = MIRRORS.get(record_type)
        if table is not None:
            await self._session.execute(
                update(table).where(table.external_id == external_id).values(**values)
            )


class SqlGateProposals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        return await self._session.get(ProposedAction, proposal_id, with_for_update=True)

    async def audit(self, proposal_id: int) -> Sequence[ApprovalAudit]:
        return (
            await self._session.scalars(
                select(ApprovalAudit).where(ApprovalAudit.proposal_id == proposal_id)
            )
        ).all()


class SqlPusherWork(BoundUnitOfWork):
    """`PushWork` and `CorrectionWork` in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        session = uow.session
        self.pushes: Pushes = SqlPushes(session)
        self.proposals: GateProposals = SqlGateProposals(session)
        self.audits: Rows[ApprovalAudit] = SqlRows(session)
        self.mirrors: Mirrors = SqlMirrors(session)
