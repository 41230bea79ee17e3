"""Reminders: a gate proposal still undecided after the contract's approval window alerts once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.alerts import stage_alert
from cascade.runner.runstate import RunnerDeps
from cascade.runner.unit_of_work import RunnerWork, SqlRunnerWork
from cascade.shared.contract import Contract
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
            contract = self.deps.contracts.get(workflow_type)
            if overdue(contract, created_at, now) and await self._alert_once(
                run_id, proposal_id, created_at, title
            ):
                alerted += 1
        return alerted

    async def _alert_once(
        self, run_id: uuid.UUID, proposal_id: int, since: datetime, title: str | None
    ) -> bool:
        async with UnitOfWork(self.session_factory) as uow:
            return await remind_once(
                SqlRunnerWork(uow), self.deps.topic_prefix, run_id, proposal_id, since, title
            )


def overdue(contract: Contract | None, created_at: datetime, now: datetime) -> bool:
    """Whether a proposal staged at `created_at` has waited past its contract's approval
    window (never for a contract without a gate, or one no longer loaded)."""
    gate = contract.hitl if contract else None
    return gate is not None and created_at + gate.approval_window < now


async def remind_once(
    uow: RunnerWork,
    topic_prefix: str,
    run_id: uuid.UUID,
    proposal_id: int,
    since: datetime,
    title: str | None,
) -> bool:
    """Alert that the run's proposal has waited since `since`, and commit; False (nothing
    written) when this run was reminded before."""
    key = f"workflow.alert:{run_id}:{WHAT}"
    # The business subject first, so the notification says who waits, not a number.
    about = f"{title} (proposal {proposal_id})" if title else f"proposal {proposal_id}"
    detail = f"{about} has waited for a decision since {since.isoformat()}"
    reminder = EventRecord(
        id=uuid.uuid4(), type="workflow.alert", run_id=run_id, idempotency_key=key,
        data={"reason": WHAT, "detail": detail},
    )  # fmt: skip
    # The ledger's unique key is the memory that this reminder was already sent.
    if not await uow.events.add_if_new(reminder):
        return False
    stage_alert(uow, topic_prefix, run_id, WHAT, "approval overdue", detail)
    await uow.commit()
    return True
