"""Record an attempt's outcome: the push row, the mirror and the outbox in one transaction.

The row update is fenced by the lease this pusher took (`leased_jobs.write_fenced`): when
another pusher retook an expired lease, this late answer changes nothing and the other
pusher's (idempotent) upsert decides.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import PUSH_STATUS, ClaimedPush
from cascade.ns_pusher.events import alert_envelope, result_envelope
from cascade.ns_pusher.jobs import PUSHES
from cascade.ns_pusher.responses import Applied, Outcome
from cascade.shared.db.mirror_models import Customer
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.leased_jobs import JobStep, write_fenced
from cascade.shared.outbox import stage
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

# Record type -> the mirror table that keeps NetSuite's internal id of that record.
MIRRORS = {"customer": Customer}


def _http_status(outcome: Outcome | None) -> int | None:
    return None if outcome is None else outcome.http_status


def finished_values(step: JobStep, applied: Applied | None) -> dict[str, Any]:
    """The push row after `step`: its status, error, NetSuite id and next due time."""
    values: dict[str, Any] = {
        "status": PUSH_STATUS[step.status],
        "last_error": step.error,
        "next_attempt_at": None,
        "updated_at": func.now(),
    }
    if applied is not None:
        values["netsuite_id"] = applied.netsuite_id
        values["applied_at"] = func.now()
    if step.status == "retrying":
        values["next_attempt_at"] = func.now() + timedelta(seconds=step.delay_s or 0.0)
    return values


class PushRecorder:
    """Writes outcomes of claimed pushes; publishes only through the outbox."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._factory = factory
        self._results = topic_name(settings.topic_prefix, Topic.NS_PUSH_RESULT)
        self._alerts = topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT)

    async def record(self, push: ClaimedPush, outcome: Outcome | None, step: JobStep) -> bool:
        """Commit the step; False when the lease was lost and nothing was written."""
        applied = outcome if isinstance(outcome, Applied) else None
        values = finished_values(step, applied)
        async with UnitOfWork(self._factory) as uow:
            session = uow.session
            if not await write_fenced(session, PUSHES, push.push_id, push.lease_until, values):
                return False
            if applied is not None:
                await self._update_mirror(session, push, applied)
                stage(session, self._results, result_envelope(push, step, applied))
            elif step.status == "failed":
                stage(session, self._results, result_envelope(push, step, None))
                stage(session, self._alerts, alert_envelope(push, step, _http_status(outcome)))
            await uow.commit()
        return True

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
