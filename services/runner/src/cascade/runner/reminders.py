"""Reminders: a gate proposal still undecided after the contract's approval window alerts once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.alerts import stage_alert
from cascade.runner.runstate import RunnerDeps
from cascade.shared.db.models import EventRecord, ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.db.uow import UnitOfWork

WHAT = "approval_overdue"


@dataclass
class ApprovalReminder:
    """Alerts operators (and Mike's inbox tooling) when a proposal waits past its window."""

    deps: RunnerDeps
    session_factory: async_sessionmaker[AsyncSession]

    async def remind(self) -> int:
        """Alert for every overdue proposal not reminded yet; returns how many alerted."""
        async with self.session_factory() as session:
            waiting = (
                await session.execute(
                    select(
                        ProposedAction.run_id,
                        ProposedAction.id,
                        ProposedAction.created_at,
                        WorkflowRun.workflow_type,
                        WorkflowRun.title,
                    )
                    .join(WorkflowRun, WorkflowRun.run_id == ProposedAction.run_id)
                    .where(
                        ProposedAction.status == ProposalStatus.PENDING,
                        WorkflowRun.status == RunStatus.AWAITING_APPROVAL,
                    )
                )
            ).all()
        now = self.deps.clock()
        alerted = 0
        for run_id, proposal_id, created_at, workflow_type, title in waiting:
            if self._overdue(workflow_type, created_at, now):
                alerted += await self._alert_once(run_id, proposal_id, created_at, title)
        return alerted

    def _overdue(self, workflow_type: str, created_at: datetime, now: datetime) -> bool:
        contract = self.deps.contracts.get(workflow_type)
        gate = contract.hitl if contract else None
        return gate is not None and created_at + gate.approval_window < now

    async def _alert_once(
        self, run_id: uuid.UUID, proposal_id: int, since: datetime, title: str | None
    ) -> int:
        key = f"workflow.alert:{run_id}:{WHAT}"
        # The business subject first, so the notification says who waits, not a number.
        about = f"{title} (proposal {proposal_id})" if title else f"proposal {proposal_id}"
        detail = f"{about} has waited for a decision since {since.isoformat()}"
        async with UnitOfWork(self.session_factory) as uow:
            # The ledger's unique key is the memory that this reminder was already sent.
            recorded = await uow.session.execute(
                insert(EventRecord)
                .values(
                    id=uuid.uuid4(),
                    type="workflow.alert",
                    run_id=run_id,
                    idempotency_key=key,
                    data={"reason": WHAT, "detail": detail},
                )
                .on_conflict_do_nothing()
                .returning(EventRecord.id)
            )
            if recorded.first() is None:
                return 0
            stage_alert(uow, self.deps.topic_prefix, run_id, WHAT, "approval overdue", detail)
            await uow.commit()
        return 1
