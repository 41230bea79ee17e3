"""Record an attempt's outcome: the push row, the mirror and the outbox in one transaction,
one statement (`leased_jobs.SqlFencedOutcomes`, i.e. `record_fenced`: one round trip instead
of BEGIN, three writes and COMMIT).

The row update is fenced by the lease this pusher took: when another pusher retook an
expired lease, this late answer changes nothing (neither the mirror nor the outbox) and the
other pusher's (idempotent) upsert decides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import PUSH_STATUS, ClaimedPush
from cascade.ns_pusher.events import alert_envelope, result_envelope
from cascade.ns_pusher.jobs import PUSHES
from cascade.ns_pusher.responses import Applied, Outcome
from cascade.shared.db.mirror_models import Customer
from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs import (
    DbNow,
    FencedOutcome,
    FencedOutcomes,
    JobStep,
    SqlFencedOutcomes,
)
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

# Record type -> the mirror table that keeps NetSuite's internal id of that record.
MIRRORS = {"customer": Customer}

# The mirror row of an applied push, written with the push's outcome only when the lease's
# fence held. An answer without a last-modified time counts as modified now.
_MIRROR_UPDATE = """UPDATE {table} SET netsuite_id = :m_netsuite_id,
        lastmodifieddate = COALESCE(CAST(:m_last_modified AS TIMESTAMPTZ), now())
    WHERE external_id = :m_external_id AND EXISTS (SELECT 1 FROM fenced)"""


def _http_status(outcome: Outcome | None) -> int | None:
    return None if outcome is None else outcome.http_status


def finished_values(step: JobStep, applied: Applied | None) -> dict[str, Any]:
    """The push row after `step`: its status, error, NetSuite id and next due time (times
    on the database's clock, like the claims that compare them)."""
    values: dict[str, Any] = {
        "status": PUSH_STATUS[step.status],
        "last_error": step.error,
        "next_attempt_at": None,
        "updated_at": DbNow(),
    }
    if applied is not None:
        values["netsuite_id"] = applied.netsuite_id
        values["applied_at"] = DbNow()
    if step.status == "retrying":
        values["next_attempt_at"] = DbNow(step.delay_s or 0.0)
    return values


async def record_push(
    outcomes: FencedOutcomes,
    push: ClaimedPush,
    outcome: Outcome | None,
    step: JobStep,
    results: str,
    alerts: str,
) -> bool:
    """Write the push's row after `step`, fenced by its lease, with what announces it: an
    applied push's mirror row and `ns.push.result` (on topic `results`), a failed one's
    result and `workflow.alert` (on `alerts`); False when the lease was lost and nothing was
    written."""
    applied = outcome if isinstance(outcome, Applied) else None
    values = finished_values(step, applied)
    staged: list[tuple[str, Envelope]] = []
    also: list[tuple[str, dict[str, Any]]] = []
    if applied is not None:
        also.extend(_mirror_update(push, applied))
        staged.append((results, result_envelope(push, step, applied)))
    elif step.status == "failed":
        staged.append((results, result_envelope(push, step, None)))
        staged.append((alerts, alert_envelope(push, step, _http_status(outcome))))
    return await outcomes.record(
        FencedOutcome(push.push_id, push.lease_until, values, staged, also)
    )


class PushRecorder:
    """Writes outcomes of claimed pushes (`record_push`); publishes only through the outbox."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._outcomes = SqlFencedOutcomes(factory, PUSHES)
        self._results = topic_name(settings.topic_prefix, Topic.NS_PUSH_RESULT)
        self._alerts = topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT)

    async def record(self, push: ClaimedPush, outcome: Outcome | None, step: JobStep) -> bool:
        """Commit the step; False when the lease was lost and nothing was written."""
        return await record_push(self._outcomes, push, outcome, step, self._results, self._alerts)


def _mirror_update(push: ClaimedPush, applied: Applied) -> list[tuple[str, dict[str, Any]]]:
    table = MIRRORS.get(push.record_type)
    if table is None:
        return []
    params = {
        "m_netsuite_id": applied.netsuite_id,
        "m_last_modified": applied.last_modified,
        "m_external_id": push.external_id,
    }
    return [(_MIRROR_UPDATE.format(table=table.__tablename__), params)]
