"""Proposals nobody decided in time: the proposal and its run end `expired`, with an alert."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.alerts import stage_alert
from cascade.runner.finish import Ending
from cascade.runner.reminders import ApprovalReminder
from cascade.runner.runstate import RunnerDeps, end_run, lock_run
from cascade.runner.unit_of_work import RunnerWork, SqlRunnerWork
from cascade.shared.db.models import ProposedAction, WorkflowRun
from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.polling import poll

log = logging.getLogger(__name__)


@dataclass
class ExpirySweeper:
    """Expires run-gate proposals past `expires_at`; the approvals CAS refuses them too."""

    deps: RunnerDeps
    session_factory: async_sessionmaker[AsyncSession]
    poll_s: float

    async def run(self, stop: asyncio.Event) -> None:
        """Expire and remind until `stop` is set (resting between sweeps: neither is urgent)."""

        reminder = ApprovalReminder(self.deps, self.session_factory)

        async def sweep_then_rest() -> bool:
            await self.sweep()
            await reminder.remind()
            return False

        await poll(stop, sweep_then_rest, self.poll_s, "expiry sweeper")

    async def sweep(self) -> int:
        """Expire every overdue gate proposal; returns how many runs ended."""
        async with self.session_factory() as session:
            overdue = (
                await session.execute(
                    select(ProposedAction.id, ProposedAction.run_id)
                    .join(WorkflowRun, WorkflowRun.run_id == ProposedAction.run_id)
                    .where(
                        ProposedAction.status == ProposalStatus.PENDING,
                        ProposedAction.expires_at < self.deps.clock(),
                        WorkflowRun.status == RunStatus.AWAITING_APPROVAL,
                    )
                    .limit(50)
                )
            ).all()
        for proposal_id, run_id in overdue:
            await self._expire(proposal_id, run_id)
        return len(overdue)

    async def _expire(self, proposal_id: int, run_id: uuid.UUID) -> None:
        async with UnitOfWork(self.session_factory) as uow:
            await expire(self.deps, SqlRunnerWork(uow), proposal_id, run_id)


async def expire(deps: RunnerDeps, uow: RunnerWork, proposal_id: int, run_id: uuid.UUID) -> None:
    """End an overdue gate proposal and its run `expired`, with an alert, and commit; nothing
    when either was decided or ended meanwhile."""
    # The run lock first, as everywhere; then the proposal's.
    run = await lock_run(uow.runs, run_id)
    proposal = await uow.proposals.lock(proposal_id)
    if run is None or proposal is None or proposal.status != ProposalStatus.PENDING:
        return
    if run.status != RunStatus.AWAITING_APPROVAL:
        return
    proposal.status, proposal.decided_at = ProposalStatus.EXPIRED, deps.clock()
    contract = deps.contracts[run.workflow_type]
    reason = f"proposal {proposal_id} expired unapproved at {proposal.expires_at}"
    await end_run(uow, run, contract, Ending(RunStatus.EXPIRED, reason), deps)
    stage_alert(uow, deps.topic_prefix, run.run_id, "expired", "approval expired", reason)
    await uow.commit()
