"""The step poller: claims due fan-out steps and runs each with its status, in one transaction."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.alerts import stage_alert
from cascade.runner.effects import perform
from cascade.runner.progress import DONE, FAILED, READY, RETRYING
from cascade.runner.retry import describe, is_permanent, next_attempt_at
from cascade.runner.runstate import (
    RunnerDeps,
    advance,
    done_outputs,
    lock_run,
    run_values,
    step_rows,
)
from cascade.shared.crash import crash_point
from cascade.shared.db.models import WorkflowRunStep
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.polling import poll

log = logging.getLogger(__name__)
DUE = (READY, RETRYING)


@dataclass
class StepExecutor:
    """Runs due steps; a crash mid-step rolls the effect back with its status."""

    deps: RunnerDeps
    session_factory: async_sessionmaker[AsyncSession]
    poll_s: float
    rng: random.Random
    crash_at: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; an error in one round never ends the loop."""
        await poll(stop, self.run_due, self.poll_s, "runner step poller")

    async def run_due(self) -> int:
        """Run every step due now; returns how many were tried."""
        async with self.session_factory() as session:
            due = (
                await session.execute(
                    select(WorkflowRunStep.run_id, WorkflowRunStep.step_id)
                    .where(
                        WorkflowRunStep.status.in_(DUE),
                        WorkflowRunStep.next_attempt_at <= self.deps.clock(),
                    )
                    .order_by(WorkflowRunStep.next_attempt_at)
                    .limit(20)
                )
            ).all()
        for run_id, step_id in due:
            await self.run_step(run_id, step_id)
        return len(due)

    async def run_step(self, run_id: uuid.UUID, step_id: str) -> None:
        """Try one step; its effect, status and the run's progress commit together."""
        try:
            async with UnitOfWork(self.session_factory) as uow:
                run_status = await self._attempt(uow, run_id, step_id)
                if run_status is not None:
                    crash_point(self.crash_at, f"runner_step_{step_id}_before_commit")
                    await uow.commit()
                    crash_point(self.crash_at, f"runner_step_{step_id}_after_commit")
                    if run_status == "running":
                        # A step committed and the run goes on: other steps remain.
                        crash_point(self.crash_at, "runner_mid_fanout")
        except Exception as exc:
            log.warning("run %s step %s failed: %s", run_id, step_id, describe(exc))
            await self._record_failure(run_id, step_id, exc)

    async def _attempt(self, uow: UnitOfWork, run_id: uuid.UUID, step_id: str) -> str | None:
        """Do the step; the run's status afterwards, or None when there was nothing to do."""
        run = await lock_run(uow, run_id)
        rows = await step_rows(uow, run_id)
        row = rows.get(step_id)
        if run is None or row is None or row.status not in DUE or run.status != "running":
            return None  # another poller took it, or the run ended meanwhile
        contract = self.deps.contracts[run.workflow_type]
        values = run_values(contract, run) | done_outputs(rows.values())
        now = self.deps.clock()
        row.attempts += 1
        row.started_at = row.started_at or now
        result = await perform(
            uow, run, contract, contract.step(step_id), values, self.deps.topic_prefix, now
        )
        row.status, row.output, row.last_error = result.status, result.output, None
        row.finished_at = now if result.status == DONE else None
        await advance(uow, run, contract, self.deps)
        return run.status

    async def _record_failure(self, run_id: uuid.UUID, step_id: str, exc: Exception) -> None:
        async with UnitOfWork(self.session_factory) as uow:
            run = await lock_run(uow, run_id)
            row = (await step_rows(uow, run_id)).get(step_id)
            if run is None or row is None or row.status not in DUE:
                return
            contract = self.deps.contracts[run.workflow_type]
            policy, now = contract.retry, self.deps.clock()
            row.attempts += 1
            row.last_error = describe(exc)
            if is_permanent(exc) or row.attempts >= policy.max_attempts:
                row.status, row.finished_at = FAILED, now
                if policy.alert_on_final_failure:
                    stage_alert(
                        uow,
                        self.deps.topic_prefix,
                        run_id,
                        f"step:{step_id}",
                        f"step {step_id} failed after {row.attempts} attempt(s)",
                        row.last_error,
                    )
                await advance(uow, run, contract, self.deps)
            else:
                row.status = RETRYING
                row.next_attempt_at = next_attempt_at(policy, row.attempts, now, self.rng)
            await uow.commit()
