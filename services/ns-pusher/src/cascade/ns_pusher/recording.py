"""Record an attempt's outcome: the push row, the mirror and the outbox in one transaction.

The row update is fenced by the lease this pusher took (its end is unique per claim):
when another pusher retook an expired lease, this late answer changes nothing and the
other pusher's (idempotent) upsert decides.
"""

from __future__ import annotations

from sqlalchemy import func, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import ClaimedPush, Decision
from cascade.ns_pusher.events import alert_envelope, result_envelope
from cascade.ns_pusher.responses import Applied, Outcome
from cascade.shared.db.mirror_models import Customer
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.outbox import stage
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

# Fenced by the lease: `next_attempt_at` still holds the value this pusher's claim set.
_FINISH = text("""
UPDATE ns_pending_pushes
SET status = :status,
    last_error = :error,
    netsuite_id = COALESCE(:netsuite_id, netsuite_id),
    applied_at = CASE WHEN :applied THEN now() ELSE applied_at END,
    next_attempt_at = CASE WHEN :retrying THEN now() + make_interval(secs => :delay_s) END,
    updated_at = now()
WHERE id = :id AND status = 'in_flight' AND next_attempt_at = :lease_until
RETURNING id
""")

# Record type -> the mirror table that keeps NetSuite's internal id of that record.
MIRRORS = {"customer": Customer}


def _http_status(outcome: Outcome | None) -> int | None:
    return None if outcome is None else outcome.http_status


class OutcomeRecorder:
    """Writes outcomes of claimed pushes; publishes only through the outbox."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._factory = factory
        self._results = topic_name(settings.topic_prefix, Topic.NS_PUSH_RESULT)
        self._alerts = topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT)

    async def record(self, push: ClaimedPush, outcome: Outcome | None, decision: Decision) -> bool:
        """Commit the decision; False when the lease was lost and nothing was written."""
        applied = outcome if isinstance(outcome, Applied) else None
        async with UnitOfWork(self._factory) as uow:
            if not await self._finish(uow.session, push, outcome, decision, applied):
                return False
            if applied is not None:
                await self._update_mirror(uow.session, push, applied)
                stage(uow.session, self._results, result_envelope(push, decision, applied))
            elif decision.status == "failed":
                stage(uow.session, self._results, result_envelope(push, decision, None))
                alert = alert_envelope(push, decision, _http_status(outcome))
                stage(uow.session, self._alerts, alert)
            await uow.commit()
        return True

    async def _finish(
        self,
        session: AsyncSession,
        push: ClaimedPush,
        outcome: Outcome | None,
        decision: Decision,
        applied: Applied | None,
    ) -> bool:
        params = {
            "id": push.push_id,
            "lease_until": push.lease_until,
            "status": decision.status,
            "error": decision.error,
            "netsuite_id": applied.netsuite_id if applied else None,
            "applied": applied is not None,
            "retrying": decision.status == "retrying",
            "delay_s": decision.delay_s,
        }
        return (await session.execute(_FINISH, params)).first() is not None

    async def _update_mirror(
        self, session: AsyncSession, push: ClaimedPush, applied: Applied
    ) -> None:
        table = MIRRORS.get(push.record_type)
        if table is None:
            return
        await session.execute(
            update(table)
            .where(table.external_id == push.external_id)
            .values(
                netsuite_id=applied.netsuite_id,
                lastmodifieddate=applied.last_modified or func.now(),
            )
        )
