"""Run-level state changes shared by the handlers: lock, values, fan-out start, conclusion."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from cascade.runner.finish import Ending, EndWork, FinishContext, finish_run
from cascade.runner.progress import (
    DONE,
    FAILED,
    SKIPPED,
    initial_status,
    run_outcome,
    settle,
    skip_reason,
)
from cascade.runner.repositories import Runs
from cascade.shared.contract import Contract, needs_map, prepare_values, runtime_values
from cascade.shared.db.models import WorkflowRun, WorkflowRunStep
from cascade.shared.db.statuses import RunStatus
from cascade.shared.observability.logs import bind_workflow_type
from cascade.shared.proposals.context_reader import ContextReader
from cascade.shared.wakeup import Wakeup


@dataclass(frozen=True)
class RunnerDeps:
    """What the runner's handlers need, built once in the composition root."""

    contracts: Mapping[str, Contract]
    context: ContextReader
    topic_prefix: str
    verify_window_scale: float
    clock: Callable[[], datetime]
    crash_at: str | None = None
    """The fault suite's crash point (`cascade.shared.crash`), for the steps run in handlers."""
    steps_due: Wakeup = field(default_factory=Wakeup)
    """Rung after a commit that left steps due for the step executor (a retry, a failure)."""
    rng: random.Random = field(default_factory=random.Random)
    """Jitter of retry delays."""
    object_put_max_attempts: int = 5
    """Attempts per round of an object PUT (`CASCADE_OBJECT_PUT_MAX_ATTEMPTS`): a repair
    opens a new round."""

    def finish_context(self) -> FinishContext:
        """The finishing context at this instant."""
        return FinishContext(self.topic_prefix, self.verify_window_scale, self.clock())


async def lock_run(runs: Runs, run_id: uuid.UUID, skip_locked: bool = False) -> WorkflowRun | None:
    """The run row, locked: every state change of one run is serialized on it. With
    `skip_locked`, None when another transaction holds it (a poller leaves that run to it).
    The lines logged while handling it name its workflow type."""
    run = await runs.lock(run_id, skip_locked)
    if run is not None:
        bind_workflow_type(run.workflow_type)
    return run


def run_values(contract: Contract, run: WorkflowRun) -> dict[str, object]:
    """The names a run binds: validated inputs, derived values, runtime values, context."""
    runtime = runtime_values(run.run_id, run.workflow_type, run.requested_at)
    return prepare_values(contract, run.inputs, runtime) | dict(run.context or {})


def begin_fanout(run: WorkflowRun, contract: Contract, now: datetime) -> dict[str, WorkflowRunStep]:
    """Mark the run running; its step rows, not yet added to the session, so the steps run
    in this same transaction can be written once with their outcome (`fanout.start_fanout`)."""
    run.status, run.started_at, run.updated_at = RunStatus.RUNNING, now, now
    needs = needs_map(contract.fan_out)
    return {
        step.id: WorkflowRunStep(
            run_id=run.run_id,
            step_id=step.id,
            status=initial_status(needs[step.id]),
            attempts=0,
            next_attempt_at=now,
        )
        for step in contract.fan_out
    }


async def advance(
    uow: EndWork,
    run: WorkflowRun,
    contract: Contract,
    rows: Mapping[str, WorkflowRunStep],
    deps: RunnerDeps,
) -> None:
    """After a step changed: release dependents, skip the unreachable, finish when all ended;
    `rows` are all of the run's step rows as this transaction changed them."""
    needs = needs_map(contract.fan_out)
    settled = settle({k: r.status for k, r in rows.items()}, needs)
    now = deps.clock()
    for step_id, status in settled.items():
        row = rows[step_id]
        if row.status != status:
            row.status, row.next_attempt_at = status, now
            if status == SKIPPED:
                row.last_error, row.finished_at = skip_reason(settled, needs[step_id]), now
    outcome = run_outcome(settled)
    if outcome is not None and run.status == RunStatus.RUNNING:
        await end_run(uow, run, contract, Ending(outcome, _failure_reason(rows)), deps, rows)


async def end_run(
    uow: EndWork,
    run: WorkflowRun,
    contract: Contract,
    ending: Ending,
    deps: RunnerDeps,
    rows: Mapping[str, WorkflowRunStep] | None = None,
) -> None:
    """End the run (`finish_run`) with the values it binds, now."""
    await finish_run(
        uow, run, contract, run_values(contract, run), ending, deps.finish_context(), rows
    )


def _failure_reason(rows: Mapping[str, WorkflowRunStep]) -> str | None:
    # Which effect failed and why, then what was not done because of it.
    ended = [(k, r) for k, r in rows.items() if r.status in (FAILED, SKIPPED)]
    ended.sort(key=lambda item: item[1].status != FAILED)
    return "; ".join(f"{k}: {r.last_error}" for k, r in ended) or None


def done_outputs(rows: Iterable[WorkflowRunStep]) -> dict[str, object]:
    """Outputs of the finished steps, which later steps and write-backs may bind."""
    merged: dict[str, object] = {}
    for row in rows:
        if row.status == DONE and row.output:
            merged.update(row.output)
    return merged
