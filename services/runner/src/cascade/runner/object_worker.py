"""The object worker: claim a staged object, PUT it outside any transaction, then record
the outcome and finish the `object_put` step in one transaction (fenced by the lease).

A PUT of the same key with the same bytes leaves the same object, so unlike an email a
retaken job (its worker died after the PUT, before the commit: crash point
`object_put_after_put`) is simply PUT again. Failed for good (a refusal, or the attempts
spent): the step fails, the run ends partial with the reason, and an alert goes out.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.alerts import stage_alert
from cascade.runner.fanout import around_commit, run_ready_steps
from cascade.runner.object_jobs import OBJECT_PUTS, PUT_ID, ClaimedObject
from cascade.runner.progress import AWAITING_RESULT, DONE, FAILED
from cascade.runner.repairs import object_repaired
from cascade.runner.runstate import RunnerDeps, lock_run
from cascade.runner.unit_of_work import RunnerWork, SqlRunnerWork
from cascade.shared.contract import ObjectPutStep
from cascade.shared.db.models import WorkflowRun, WorkflowRunStep
from cascade.shared.db.statuses import ObjectPutStatus, RunStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.leased_jobs import (
    JobConfig,
    JobStatus,
    JobStep,
    LeasedWorker,
    RetrySchedule,
    claim_jobs,
    exhausted_step,
    next_step,
    seconds_until_due,
)
from cascade.shared.objectstore import (
    ObjectBody,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreSettings,
    sha256_hex,
)
from cascade.shared.settings import Settings
from cascade.shared.wakeup import Wakeup

log = logging.getLogger(__name__)

CRASH_AFTER_CLAIM = "object_put_after_claim"
CRASH_AFTER_PUT = "object_put_after_put"
STATUS: dict[JobStatus, ObjectPutStatus] = {
    "done": ObjectPutStatus.STORED,
    "retrying": ObjectPutStatus.RETRYING,
    "failed": ObjectPutStatus.FAILED,
}


@dataclass(frozen=True)
class ObjectAttempt:
    """One PUT's outcome and the ETag the store answered."""

    step: JobStep
    etag: str | None = None


def object_config(
    settings: Settings, store: ObjectStoreSettings, wake: Wakeup | None = None
) -> JobConfig:
    """The schedule, the lease (outlasting a PUT twice), the pace and the crash point."""
    return JobConfig(
        schedule=RetrySchedule(
            max_attempts=settings.object_put_max_attempts,
            base_s=settings.object_put_backoff_base_s,
            max_s=settings.object_put_backoff_max_s,
        ),
        lease_s=max(settings.object_put_lease_s, 2 * store.timeout_s + 5),
        poll_s=settings.object_put_poll_ms / 1000,
        crash_at=settings.crash_at,
        wake=wake,
        concurrency=settings.object_put_workers,
    )


def finished_values(attempt: ObjectAttempt) -> dict[str, Any]:
    """The job row after an attempt."""
    step = attempt.step
    values: dict[str, Any] = {
        "status": STATUS[step.status],
        "last_error": step.error,
        "lease_until": None,
        "next_attempt_at": None,
        "updated_at": func.now(),
    }
    if step.status == "done":
        values["etag"] = attempt.etag
        values["stored_at"] = func.now()
    if step.status == "retrying":
        values["next_attempt_at"] = func.now() + timedelta(seconds=step.delay_s or 0.0)
    return values


def finish_step(
    row: WorkflowRunStep, step: ObjectPutStep, job: ClaimedObject, outcome: JobStep
) -> None:
    """The step row once its object is stored (key and hash as outputs) or failed for good."""
    if outcome.status == "done":
        output = {**(row.output or {}), step.key_name: job.object_key, step.sha256_name: job.sha256}
        row.status, row.output, row.last_error = DONE, output, None
    else:
        row.status, row.last_error = (
            FAILED,
            f"object {job.object_key} was not stored: {outcome.error}",
        )


class ObjectJobs:
    """The staged object as a leased job kind; a runner process shares one over its slots."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        store: ObjectStore,
        deps: RunnerDeps,
        config: JobConfig,
        rng: random.Random,
    ) -> None:
        self._factory = factory
        self._store = store
        self._deps = deps
        self._config = config
        self._rng = rng

    async def claim(self, limit: int) -> list[ClaimedObject]:
        """Lease up to `limit` of the most overdue objects."""
        cap = self._config.schedule.max_attempts or 1
        return await claim_jobs(self._factory, OBJECT_PUTS, self._config.lease_s, cap, limit)

    async def next_due(self) -> float | None:
        """Seconds until an object falls due (a retry's back-off, a lease running out)."""
        return await seconds_until_due(self._factory, OBJECT_PUTS)

    async def attempt(self, job: ClaimedObject) -> ObjectAttempt:
        """One PUT of the staged bytes; any failure becomes the schedule's next step."""
        if job.exhausted:
            return ObjectAttempt(exhausted_step(job.attempt, "the worker was lost mid-PUT"))
        if sha256_hex(job.body) != job.sha256:
            return ObjectAttempt(JobStep("failed", "the staged bytes no longer match their hash"))
        body = ObjectBody(job.body, job.sha256, job.content_type)
        try:
            etag = await self._store.put(job.object_key, body)
        except ObjectStoreError as exc:
            schedule = self._config.schedule
            step = next_step(job.attempt, schedule, self._rng, str(exc), not exc.transient)
            return ObjectAttempt(step)
        return ObjectAttempt(JobStep("done"), etag)

    async def record(self, job: ClaimedObject, attempt: ObjectAttempt) -> bool:
        """Commit the job's outcome fenced by the lease and, when final, the step's."""
        async with UnitOfWork(self._factory) as uow:
            return await record_object(self._deps, SqlRunnerWork(uow), job, attempt)

    def describe(self, job: ClaimedObject) -> str:
        """The object in a log line."""
        return str(job)


async def record_object(
    deps: RunnerDeps, uow: RunnerWork, job: ClaimedObject, attempt: ObjectAttempt
) -> bool:
    """Write the job's outcome while its lease is ours and, when final, finish its step (or
    its repair's round), then commit; False (nothing written) when another worker retook it."""
    # The run row first: every state change of a run is serialized on it.
    run = await lock_run(uow.runs, job.run_id)
    values = finished_values(attempt)
    if not await uow.object_puts.write_fenced(job.job_id, job.lease_until, values):
        return False
    if attempt.step.status != "retrying" and run is not None:
        if job.repair_id is not None:
            await object_repaired(deps, uow, run, job, attempt.step)
        else:
            await finish_object_step(deps, uow, run, job, attempt.step)
    await uow.commit()
    log.info("runner: %s: %s", job, STATUS[attempt.step.status])
    return True


async def finish_object_step(
    deps: RunnerDeps, uow: RunnerWork, run: WorkflowRun, job: ClaimedObject, outcome: JobStep
) -> None:
    """Finish the running run's `object_put` step that waits for `job` (an alert when it
    failed for good and the contract asks for one), then run what that releases; nothing
    when the run ended or no step waits for this job."""
    if run.status != RunStatus.RUNNING:
        return
    rows = await uow.runs.steps(run.run_id)
    row = rows.get(job.step_id)
    if row is None or row.status != AWAITING_RESULT or (row.output or {}).get(PUT_ID) != job.job_id:
        log.info("runner: run %s: no step waits for %s", run.run_id, job)
        return
    contract = deps.contracts[run.workflow_type]
    step = contract.step(job.step_id)
    assert isinstance(step, ObjectPutStep)
    row.attempts, row.finished_at = job.attempt, deps.clock()
    finish_step(row, step, job, outcome)
    if outcome.status == "failed" and contract.retry.alert_on_final_failure:
        stage_alert(
            uow, deps.topic_prefix, run.run_id, f"step:{step.id}",
            f"step {step.id} failed after {job.attempt} attempt(s)", row.last_error or "",
        )  # fmt: skip
    # The steps this releases run in this same transaction, then the run advances.
    progress = await run_ready_steps(uow, run, contract, rows, deps)
    around_commit(uow, deps, run, progress)


def object_worker(
    jobs: ObjectJobs, config: JobConfig
) -> LeasedWorker[ClaimedObject, ObjectAttempt]:
    """The worker: `config.concurrency` PUTs at once, resting until the next due time."""
    pace = config.pace("runner-objects", CRASH_AFTER_CLAIM, CRASH_AFTER_PUT)
    return LeasedWorker(jobs, pace, jobs.next_due)
