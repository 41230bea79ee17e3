"""ns-pusher's unit of work in memory (`unit_of_work.PushWork`, `CorrectionWork`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cascade.devstack.fake_uow import FakeRepository, FakeRows, FakeUnitOfWork
from cascade.shared.db.models import ApprovalAudit, NsPendingPush, ProposedAction
from cascade.shared.db.statuses import PushStatus


class FakePushes(FakeRepository):
    def __init__(self, *rows: NsPendingPush) -> None:
        self.rows = {row.id: row for row in rows}
        self.marked: list[int] = []

    async def mark_due(self, push_id: int) -> tuple[str, str] | None:
        row = self.rows.get(push_id)
        if row is None or row.status not in (PushStatus.PENDING, PushStatus.RETRYING):
            return None
        self.marked.append(push_id)
        return row.record_type, row.external_id

    async def view(self, push_id: int) -> dict[str, Any] | None:
        row = self.rows.get(push_id)
        if row is None:
            return None
        return {"id": row.id, "record_type": row.record_type, "external_id": row.external_id,
                "status": row.status}  # fmt: skip

    async def retry_failed(self, push_id: int, max_attempts: int) -> bool:
        row = self.rows.get(push_id)
        if row is None or row.status != PushStatus.FAILED:
            return False
        row.status = PushStatus.PENDING
        return True

    async def lock(self, push_id: int) -> NsPendingPush | None:
        return self.rows.get(push_id)


class FakeMirrors(FakeRepository):
    def __init__(self) -> None:
        self.updates: list[tuple[str, str, Mapping[str, Any]]] = []

    async def update(self, record_type: str, external_id: str, values: Mapping[str, Any]) -> None:
        self.updates.append((record_type, external_id, dict(values)))


class FakeGateProposals(FakeRepository):
    def __init__(self, *rows: ProposedAction) -> None:
        self.rows = {row.id: row for row in rows}
        self.audits: list[ApprovalAudit] = []

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        return self.rows.get(proposal_id)

    async def audit(self, proposal_id: int) -> Sequence[ApprovalAudit]:
        return [a for a in self.audits if a.proposal_id == proposal_id]


class FakePusherWork(FakeUnitOfWork):
    def __init__(self, *pushes: NsPendingPush) -> None:
        super().__init__()
        self.pushes = FakePushes(*pushes)
        self.proposals = FakeGateProposals()
        self.audits: FakeRows[ApprovalAudit] = FakeRows()
        self.mirrors = FakeMirrors()
