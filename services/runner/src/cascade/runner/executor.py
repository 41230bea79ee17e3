"""The step executor: the safety net that runs due fan-out steps the handlers did not.

Handlers run the steps they make due in their own transaction (`fanout`); what is left here
is a step whose retry back-off ended, a run whose process died between commits, a run that
another replica's crash left behind. The executor wakes when a handler's commit left steps due
(`RunnerDeps.steps_due`), when the earliest retry falls due, and otherwise every `poll_s`.
Runs are claimed with `FOR UPDATE SKIP LOCKED` (a run another worker holds is skipped, not
waited on) and several run at once, each in its own transaction.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.fanout import DUE, around_commit, run_ready_steps
from cascade.runner.runstate import RunnerDeps, lock_run
from cascade.runner.unit_of_work import RunnerWork, SqlRunnerWork
from cascade.shared.db.models import WorkflowRun, WorkflowRunStep
from cascade.shared.db.statuses import RunStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.observability.logs import bind_run_in_task
from cascade.shared.polling import poll
from cascade.shared.tracing import continued_span

log = logging.getLogger(__name__)


@dataclass
class StepExecutor:
    """Runs due steps; a crash mid-step rolls the effect back with its status."""

    deps: RunnerDeps
    session_factory: async_sessionmaker[AsyncSession]
    poll_s: float
    concurrency: int = 8
    """Runs driven at once (each holds one pooled connection)."""
    batch: int = 50
    _slots: asyncio.Semaphore = field(init=False)
    _timer: asyncio.TimerHandle | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.concurrency)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; an error in one round never ends the loop."""
        await poll(stop, self.run_due, self.poll_s, "runner step poller", wake=self.deps.steps_due)

    async def run_due(self) -> int:
        """Drive every running run with a step due now; returns how many made progress."""
        now = self.deps.clock()
        first_due = func.min(WorkflowRunStep.next_attempt_at)
        # A run's steps share its trace: any due step's `traceparent` continues it.
        trace_of = func.min(WorkflowRunStep.traceparent)
        async with self.session_factory() as session:
            due = (
                await session.execute(
                    select(WorkflowRunStep.run_id, first_due, trace_of)
                    .join(WorkflowRun, WorkflowRun.run_id == WorkflowRunStep.run_id)
                    .where(WorkflowRunStep.status.in_(DUE), WorkflowRun.status == RunStatus.RUNNING)
                    .group_by(WorkflowRunStep.run_id)
                    .order_by(first_due)
                    .limit(self.batch)
                )
            ).all()
        later = [at for _, at, _ in due if at is not None and at > now]
        if later:
            self._wake_at(min(later), now)
        now_due = [(run_id, tp) for run_id, at, tp in due if at is not None and at <= now]
        done = await asyncio.gather(*(self.run_run(run_id, tp) for run_id, tp in now_due))
        return sum(done)

    async def run_run(self, run_id: uuid.UUID, traceparent: str | None = None) -> bool:
        """Run the run's due steps (and what they release) in one transaction, in the run's
        trace (`traceparent`, a due step's); False when there was nothing to do or another
        worker holds the run."""
        bind_run_in_task(run_id)  # gathered: a task of its own per run
        attributes = {"run_id": str(run_id)}
        async with self._slots:
            with continued_span("runner due steps", traceparent, attributes=attributes):
                return await self._drive(run_id)

    async def _drive(self, run_id: uuid.UUID) -> bool:
        async with UnitOfWork(self.session_factory) as uow:
            return await run_due_steps(self.deps, SqlRunnerWork(uow), run_id)

    def _wake_at(self, at: datetime, now: datetime) -> None:
        # Ring when the earliest retry falls due, instead of waiting for the next poll.
        delay = (at - now).total_seconds()
        if delay >= self.poll_s:
            return  # the poll comes first
        loop = asyncio.get_running_loop()
        timer = self._timer
        if timer is not None and loop.time() < timer.when() <= loop.time() + delay:
            return  # an earlier ring is already set
        if timer is not None:
            timer.cancel()
        self._timer = loop.call_later(delay, self.deps.steps_due.ring)


async def run_due_steps(deps: RunnerDeps, uow: RunnerWork, run_id: uuid.UUID) -> bool:
    """Run a running run's due steps (and what they release), then commit; False when another
    worker holds the run, it ended meanwhile, or nothing was due."""
    run = await lock_run(uow.runs, run_id, skip_locked=True)
    if run is None or run.status != RunStatus.RUNNING:
        return False  # another worker has it, or the run ended meanwhile
    rows = await uow.runs.steps(run_id)
    contract = deps.contracts[run.workflow_type]
    progress = await run_ready_steps(uow, run, contract, rows, deps)
    if not progress.changed:
        return False
    around_commit(uow, deps, run, progress)
    await uow.commit()
    return True
