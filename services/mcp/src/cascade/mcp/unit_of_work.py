"""The MCP gateway's unit of work: what an agent's act may touch, and the SQL one.

The gateway opens a `UnitOfWork` per act and hands its use case `SqlGatewayWork(uow)`; the
fast tests hand in `tests/fakes.py`'s fake.
"""

from __future__ import annotations

from typing import Protocol

from cascade.shared.db.models import AgentAudit
from cascade.shared.db.rows import Rows, SqlRows
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.run_requests.staging import RunRequestWork, SqlRunRequestWork


class AgentRunWork(RunRequestWork, Protocol):
    """An agent starting a run: intake's run request, and the act's audit row with it."""

    agent_audits: Rows[AgentAudit]
    """`agent_audit`: append-only, one row per tool call."""


class SqlGatewayWork(SqlRunRequestWork):
    """The gateway's units of work in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.agent_audits: Rows[AgentAudit] = SqlRows(uow.session)
