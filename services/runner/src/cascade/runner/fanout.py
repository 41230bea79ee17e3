"""Runs a run's due fan-out steps inside the transaction that made them due.

Every step's effect is a database write in the runner's own database (a customer row, a
NetSuite push row with its outbox record, an email proposal): none waits on the outside world.
So the handler that made steps due (the approval, a push result) or the step executor runs
them at once, in its own transaction, with their status rows — and the steps they release in
turn — instead of leaving them for a poller. The effects share one SAVEPOINT: when one raises,
all of them are undone, the failing step's attempt is recorded (retry or fail, as the step
executor always did) and the others stay due for the executor, rung after the commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from cascade.runner.alerts import stage_alert
from cascade.runner.effects import StepResult, perform
from cascade.runner.progress import DONE, FAILED, READY, RETRYING, settle
from cascade.runner.retry import describe, is_permanent, next_attempt_at
from cascade.runner.runstate import RunnerDeps, advance, begin_fanout, done_outputs, run_values
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.contract import Contract, needs_map
from cascade.shared.crash import crash_point
from cascade.shared.db.models import WorkflowRun, WorkflowRunStep
from cascade.shared.db.statuses import RunStatus

log = logging.getLogger(__name__)
DUE = (READY, RETRYING)


@dataclass(frozen=True)
class Progress:
    """What one transaction did to a run's steps."""

    ran: list[str] = field(default_factory=list)
    """Steps whose effect is in this transaction (done, or handed to another service)."""
    failed: str | None = None
    """The step whose effect raised; its attempt is recorded, every effect undone."""
    left_due: bool = False
    """Whether steps are still due, now or at a retry time (the step executor's work)."""

    @property
    def changed(self) -> bool:
        """Whether there is anything to commit."""
        return bool(self.ran) or self.failed is not None


async def start_fanout(
    uow: RunnerWork, run: WorkflowRun, contract: Contract, deps: RunnerDeps
) -> Progress:
    """Mark the run running and run its first steps in the caller's transaction; the step
    rows are written once, with their outcome."""
    rows = begin_fanout(run, contract, deps.clock())
    progress = await run_ready_steps(uow, run, contract, rows, deps)
    uow.runs.add_steps(rows.values())
    return progress


async def run_ready_steps(
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    rows: dict[str, WorkflowRunStep],
    deps: RunnerDeps,
) -> Progress:
    """Run every step due now, then the ones they release, in the caller's transaction (the
    run row locked by the caller), then advance the run (skips, the end of the run)."""
    now = deps.clock()
    needs = needs_map(contract.fan_out)
    statuses = {k: r.status for k, r in rows.items()}
    values = run_values(contract, run) | done_outputs(rows.values())
    results: dict[str, StepResult] = {}
    trying: str | None = None
    statuses = settle(statuses, needs)
    due = _due_now(rows, statuses, results, now)
    try:
        # No savepoint round trips when nothing is due (a push result of a run that waits on
        # other steps, a retry not due yet).
        if due:
            async with uow.savepoint():
                while due:
                    for step_id in due:
                        trying = step_id
                        step = contract.step(step_id)
                        result = await perform(
                            uow, run, contract, step, values, deps.topic_prefix, now
                        )
                        # What the effect added (an outbox record) fails here, as its own.
                        await uow.flush()
                        results[step_id], statuses[step_id] = result, result.status
                        if result.status == DONE:
                            values |= result.output
                    statuses = settle(statuses, needs)
                    due = _due_now(rows, statuses, results, now)
                trying = None
    except Exception as exc:
        if trying is None:
            raise  # not a step's effect: the caller's transaction fails as a whole
        log.warning("run %s step %s failed: %s", run.run_id, trying, describe(exc))
        _record_failure(uow, run, contract, rows[trying], exc, deps)
        await advance(uow, run, contract, rows, deps)
        return Progress(failed=trying, left_due=_any_due(rows))
    for step_id, result in results.items():
        row = rows[step_id]
        row.attempts += 1
        row.started_at = row.started_at or now
        row.status, row.output, row.last_error = result.status, result.output, None
        row.finished_at = now if result.status == DONE else None
    await advance(uow, run, contract, rows, deps)
    return Progress(ran=list(results), left_due=_any_due(rows))


def _due_now(
    rows: dict[str, WorkflowRunStep],
    statuses: dict[str, str],
    tried: dict[str, StepResult],
    now: datetime,
) -> list[str]:
    # Newly released steps (waiting in the rows, ready in `statuses`) are due at once; a
    # retrying step only once its back-off has passed. Contract order, so runs are alike.
    return [
        step_id
        for step_id, status in statuses.items()
        if status in DUE and step_id not in tried and _is_due(rows[step_id], now)
    ]


def _is_due(row: WorkflowRunStep, now: datetime) -> bool:
    if row.status not in DUE:
        return True  # released in this transaction
    return row.next_attempt_at is not None and row.next_attempt_at <= now


def _any_due(rows: dict[str, WorkflowRunStep]) -> bool:
    return any(r.status in DUE for r in rows.values())


def _record_failure(
    uow: RunnerWork,
    run: WorkflowRun,
    contract: Contract,
    row: WorkflowRunStep,
    exc: Exception,
    deps: RunnerDeps,
) -> None:
    """Count the failed attempt: retry after the policy's back-off, or fail the step (and
    alert) when the error is permanent or the attempts are spent."""
    policy, now = contract.retry, deps.clock()
    row.attempts += 1
    row.started_at = row.started_at or now
    row.last_error = describe(exc)
    if is_permanent(exc) or row.attempts >= policy.max_attempts:
        row.status, row.finished_at = FAILED, now
        if policy.alert_on_final_failure:
            stage_alert(
                uow,
                deps.topic_prefix,
                run.run_id,
                f"step:{row.step_id}",
                f"step {row.step_id} failed after {row.attempts} attempt(s)",
                row.last_error,
            )
    else:
        row.status = RETRYING
        row.next_attempt_at = next_attempt_at(policy, row.attempts, now, deps.rng)


def around_commit(uow: RunnerWork, deps: RunnerDeps, run: WorkflowRun, progress: Progress) -> None:
    """Call right before the caller's transaction commits (a handler's, which the consumer
    commits, or the executor's own): the fault suite's crash points keep their meaning —
    `runner_step_<id>_before_commit` with the step's effect done but not committed,
    `runner_step_<id>_after_commit` once committed, `runner_mid_fanout` after a commit that
    left the run running — and the step executor is rung when steps remain due."""
    if progress.left_due:
        uow.after_commit(deps.steps_due.ring)
    if not deps.crash_at or not progress.ran:
        return
    crash_at, ran, running = deps.crash_at, list(progress.ran), run.status == RunStatus.RUNNING
    for step_id in ran:
        crash_point(crash_at, f"runner_step_{step_id}_before_commit")

    def after_commit() -> None:
        for step_id in ran:
            crash_point(crash_at, f"runner_step_{step_id}_after_commit")
        if running:
            # A step committed and the run goes on: other steps remain.
            crash_point(crash_at, "runner_mid_fanout")

    uow.after_commit(after_commit)
