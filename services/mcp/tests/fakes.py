"""The MCP gateway's unit of work in memory (`unit_of_work.AgentRunWork`)."""

from __future__ import annotations

from cascade.devstack.fake_uow import FakeRows, FakeRunRequestWork
from cascade.shared.db.models import AgentAudit


class FakeGatewayWork(FakeRunRequestWork):
    def __init__(self) -> None:
        super().__init__()
        self.agent_audits: FakeRows[AgentAudit] = FakeRows()
