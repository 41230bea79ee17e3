"""`ns.push.result`: finish the NetSuite step of a run once NetSuite confirmed or gave up."""

from __future__ import annotations

import logging

from cascade.runner.agreement import Disagreement, push_disagreement
from cascade.runner.fanout import around_commit, run_ready_steps
from cascade.runner.progress import AWAITING_RESULT, DONE, FAILED
from cascade.runner.runstate import RunnerDeps, done_outputs, lock_run, run_values
from cascade.runner.unit_of_work import RunnerWork
from cascade.shared.contract import NetSuitePushStep, bind
from cascade.shared.db.statuses import PushStatus, RunStatus
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import NsPushResult

log = logging.getLogger(__name__)


async def on_push_result(
    deps: RunnerDeps, envelope: Envelope, uow: RunnerWork
) -> Disagreement | None:
    """Mark the waiting step done (with the write-back) or failed, then advance the run;
    only for a result that agrees with the outcome ns-pusher recorded on the push row."""
    result = NsPushResult.model_validate(envelope.data)
    run = await lock_run(uow.runs, envelope.run_id)
    push = await uow.pushes.get(result.push_id)
    disagreement = push_disagreement(envelope.run_id, push, result)
    if disagreement is not None:
        return disagreement
    assert push is not None
    if run is None or run.status != RunStatus.RUNNING:
        return None
    rows = await uow.runs.steps(run.run_id)
    waiting = [
        r
        for r in rows.values()
        if r.status == AWAITING_RESULT and (r.output or {}).get("push_id") == push.id
    ]
    if not waiting:
        log.info("run %s: no step waits for push %s", run.run_id, push.id)
        return None
    row = waiting[0]
    contract = deps.contracts[run.workflow_type]
    step = contract.step(row.step_id)
    assert isinstance(step, NetSuitePushStep)
    now = deps.clock()
    row.attempts, row.finished_at = result.attempts, now
    # What is written comes from the push row, which the event was just checked against.
    if push.status == PushStatus.APPLIED:
        # The row's whole change before the write-back, whose statement flushes it: one UPDATE.
        row.status, row.output = DONE, {**(row.output or {}), step.id_output: push.netsuite_id}
        if step.writeback is not None:
            scope = run_values(contract, run) | done_outputs(rows.values())
            sql = step.writeback.sql
            await uow.contract_sql.execute(sql, bind(sql, scope))
    else:
        row.status, row.last_error = FAILED, push_failure(push.record_type, push.last_error)
    # The steps this result releases (the welcome email) run in this same transaction.
    progress = await run_ready_steps(uow, run, contract, rows, deps)
    around_commit(uow, deps, run, progress)
    return None


def push_failure(record_type: str, error: str | None) -> str:
    """A failed push in plain words: NetSuite *refused* the record (a 4xx answer, which
    another attempt will not change), or did not take it (no answer, 5xx, retries spent)."""
    detail = error or "no error recorded"
    refused = detail.startswith("HTTP 4") or "rejected the credentials" in detail
    verb = "refused" if refused else "did not confirm"
    return f"NetSuite {verb} the {record_type}: {detail}"
