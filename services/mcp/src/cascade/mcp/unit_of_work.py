"""The MCP gateway's units of work: what an agent's act may touch, and the SQL one.

The gateway opens a `UnitOfWork` per act and hands its use case `SqlGatewayWork(uow)`; the
fast tests hand in `tests/fakes.py`'s fake.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import AgentAudit, EmailSuggestion, ProposedAction
from cascade.shared.db.rows import Rows, SqlRows
from cascade.shared.db.uow import AbstractUnitOfWork, UnitOfWork
from cascade.shared.run_requests.staging import RunRequestWork, SqlRunRequestWork


class AgentRunWork(RunRequestWork, Protocol):
    """An agent starting a run: intake's run request, and the act's audit row with it."""

    agent_audits: Rows[AgentAudit]
    """`agent_audit`: append-only, one row per tool call."""


class EmailDrafts(Protocol):
    """`proposed_actions`, as an agent's suggestion reads them."""

    async def lock_shared(self, proposal_id: int) -> ProposedAction | None:
        """The proposal, locked against a change (`FOR SHARE`) until the suggestion commits:
        Mike's edit or decision waits, and the suggestion names the version it was for."""
        ...


class Suggestions(Protocol):
    """`email_suggestions`: agents' texts for pending email drafts."""

    async def add(self, suggestion: EmailSuggestion) -> int:
        """Add the suggestion and flush it; its id."""
        ...


class SuggestionWork(AbstractUnitOfWork, Protocol):
    """An agent suggesting a text for a pending email draft, with the act's audit row."""

    email_drafts: EmailDrafts
    suggestions: Suggestions
    agent_audits: Rows[AgentAudit]


class SqlEmailDrafts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_shared(self, proposal_id: int) -> ProposedAction | None:
        return (
            await self._session.execute(
                select(ProposedAction)
                .where(ProposedAction.id == proposal_id)
                .with_for_update(read=True)
            )
        ).scalar_one_or_none()


class SqlSuggestions:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, suggestion: EmailSuggestion) -> int:
        self._session.add(suggestion)
        await self._session.flush()
        return suggestion.id


class SqlGatewayWork(SqlRunRequestWork):
    """The gateway's units of work in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        session = uow.session
        self.agent_audits: Rows[AgentAudit] = SqlRows(session)
        self.email_drafts: EmailDrafts = SqlEmailDrafts(session)
        self.suggestions: Suggestions = SqlSuggestions(session)
