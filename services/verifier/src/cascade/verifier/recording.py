"""Record an execution: the check's row and, when final, its events, in one statement.

The row update is fenced by the lease this verifier took (`leased_jobs.SqlFencedOutcomes`,
i.e. `record_fenced`): if another verifier retook an expired lease, this late outcome writes
nothing and the other one's decides.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.statuses import CheckStatus
from cascade.shared.db.uow import AbstractUnitOfWork
from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs import FencedOutcome, FencedOutcomes, SqlFencedOutcomes
from cascade.shared.payloads import VerifyResultEvent
from cascade.shared.topics import Topic, topic_name
from cascade.verifier.domain import CheckDecision, ClaimedCheck, Outcome
from cascade.verifier.events import alert_envelope, result_envelope
from cascade.verifier.jobs import CHECKS
from cascade.verifier.results import attempt_detail


def result_messages(
    topic_prefix: str, run_id: uuid.UUID, event: VerifyResultEvent
) -> list[tuple[str, Envelope]]:
    """The messages of a final result, by topic: `verify.result`, plus `workflow.alert` for
    a `fail` or `timeout`."""
    messages = [(topic_name(topic_prefix, Topic.VERIFY_RESULT), result_envelope(run_id, event))]
    if event.status in (CheckStatus.FAIL, CheckStatus.TIMEOUT):
        alert = alert_envelope(run_id, event)
        messages.append((topic_name(topic_prefix, Topic.WORKFLOW_ALERT), alert))
    return messages


def stage_result(
    uow: AbstractUnitOfWork, topic_prefix: str, run_id: uuid.UUID, event: VerifyResultEvent
) -> None:
    """Stage the messages of a final result in the caller's transaction."""
    for topic, envelope in result_messages(topic_prefix, run_id, event):
        uow.stage(topic, envelope)


async def record_check(
    outcomes: FencedOutcomes,
    check: ClaimedCheck,
    outcome: Outcome,
    decision: CheckDecision,
    executed_at: datetime,
    *,
    topic_prefix: str,
    identity: str,
) -> bool:
    """Write the check's row after `decision` (the attempt in its detail, by verifier
    `identity`), fenced by its lease, with the messages of a final result; False when the
    lease was lost and nothing was written."""
    detail = attempt_detail(check.detail, outcome, check.attempt, executed_at, identity)
    values: dict[str, Any] = {
        "status": decision.status,
        "detail": detail,
        "executed_at": executed_at,
        "lease_until": None,
    }
    if decision.next_due_at is not None:
        values["due_at"] = decision.next_due_at
    staged: list[tuple[str, Envelope]] = []
    if decision.final:
        event = _event(check, outcome, decision, executed_at, detail)
        staged = result_messages(topic_prefix, check.run_id, event)
    return await outcomes.record(FencedOutcome(check.job_id, check.lease_until, values, staged))


class CheckRecorder:
    """Writes outcomes of claimed checks (`record_check`); publishes only through the outbox."""

    def __init__(
        self, factory: async_sessionmaker[AsyncSession], topic_prefix: str, identity: str
    ) -> None:
        self._outcomes = SqlFencedOutcomes(factory, CHECKS)
        self._prefix = topic_prefix
        self._identity = identity

    async def record(
        self, check: ClaimedCheck, outcome: Outcome, decision: CheckDecision, executed_at: datetime
    ) -> bool:
        """Commit the decision; False when the lease was lost and nothing was written."""
        return await record_check(
            self._outcomes,
            check,
            outcome,
            decision,
            executed_at,
            topic_prefix=self._prefix,
            identity=self._identity,
        )


def _event(
    check: ClaimedCheck,
    outcome: Outcome,
    decision: CheckDecision,
    executed_at: datetime,
    detail: dict[str, Any],
) -> VerifyResultEvent:
    status = decision.status
    if status == CheckStatus.PENDING:
        raise ValueError("only final decisions are published")
    return VerifyResultEvent(
        check_name=check.check_name,
        kind=check.kind,
        status=status,
        attempts=check.attempt,
        reason=outcome.reason,
        due_at=check.due_at,
        deadline_at=check.deadline_at,
        executed_at=executed_at,
        detail=detail,
        round=check.round,
    )
