"""The run-ended handler: a run's checks are known; the skipped ones are reported now.

The runner stages the checks in the transaction that emits `workflow.completed` or
`workflow.partial`, so the rows exist before this event can be read and the pollers find
them by their due time; nothing here waits for them. Checks staged `skipped` (about outputs
of a step that failed) will never run: their `verify.result` is published here, once.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from cascade.shared.consumer import Handler, use_case_handler
from cascade.shared.db.models import VerifyResult
from cascade.shared.db.statuses import CheckStatus
from cascade.shared.db.uow import AbstractUnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.payloads import VerifyResultEvent, WorkflowEnded
from cascade.verifier.recording import stage_result
from cascade.verifier.unit_of_work import SqlVerifierWork, VerifierWork

log = logging.getLogger(__name__)


def _skipped_event(row: VerifyResult, now: datetime) -> VerifyResultEvent:
    reason = str((row.spec or {}).get("skipped_because", "a step it depends on failed"))
    return VerifyResultEvent(
        check_name=row.check_name,
        kind=row.kind,
        status=CheckStatus.SKIPPED,
        attempts=row.attempts,
        reason=f"skipped: {reason}",
        due_at=row.due_at,
        deadline_at=row.deadline_at,
        executed_at=now,
    )


def _report_skipped(
    uow: AbstractUnitOfWork,
    topic_prefix: str,
    run_id: uuid.UUID,
    rows: Sequence[VerifyResult],
    now: datetime,
) -> None:
    # executed_at marks a skipped check as reported, so a replay reports nothing twice.
    for row in rows:
        if row.status == CheckStatus.SKIPPED and row.executed_at is None:
            row.executed_at = now
            stage_result(uow, topic_prefix, run_id, _skipped_event(row, now))


def run_ended_handler(topic_prefix: str, clock: Callable[[], datetime]) -> Handler:
    """The handler of `workflow.completed` and `workflow.partial`."""
    use_case = partial(report_run_ended, topic_prefix=topic_prefix, clock=clock)
    return use_case_handler(SqlVerifierWork, use_case)


async def report_run_ended(
    uow: VerifierWork, envelope: Envelope, topic_prefix: str, clock: Callable[[], datetime]
) -> None:
    """Report the run's skipped checks (once), and wake the checkers for the pending ones."""
    # Only the run id is used, but a record whose data is not a run's end is not one:
    # the ValidationError dead-letters it at once (the consumer's rule for schema errors).
    WorkflowEnded.model_validate(envelope.data)
    rows = await uow.checks.lock_of_run(envelope.run_id)
    _report_skipped(uow, topic_prefix, envelope.run_id, rows, clock())
    pending = sorted(row.due_at for row in rows if row.status == CheckStatus.PENDING)
    if pending:
        # The checker learns the new due time now instead of at its next safety poll.
        uow.checks.wake_checkers()
    log.info(
        "verifier: run %s ended %s with %d check(s), %d pending, first due %s",
        envelope.run_id,
        envelope.type,
        len(rows),
        len(pending),
        pending[0].isoformat() if pending else "-",
    )
