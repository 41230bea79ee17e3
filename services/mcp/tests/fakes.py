"""The MCP gateway's units of work in memory (`unit_of_work.AgentRunWork`, `SuggestionWork`)."""

from __future__ import annotations

from cascade.devstack.fake_uow import FakeRepository, FakeRows, FakeRunRequestWork
from cascade.shared.db.models import AgentAudit, EmailSuggestion, ProposedAction


class FakeEmailDrafts(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[int, ProposedAction] = {}

    async def lock_shared(self, proposal_id: int) -> ProposedAction | None:
        return self.rows.get(proposal_id)


class FakeSuggestions(FakeRepository):
    def __init__(self) -> None:
        self.rows: list[EmailSuggestion] = []

    async def add(self, suggestion: EmailSuggestion) -> int:
        self.rows.append(suggestion)
        suggestion.id = len(self.rows)
        return suggestion.id


class FakeGatewayWork(FakeRunRequestWork):
    def __init__(self) -> None:
        super().__init__()
        self.agent_audits: FakeRows[AgentAudit] = FakeRows()
        self.email_drafts = FakeEmailDrafts()
        self.suggestions = FakeSuggestions()
