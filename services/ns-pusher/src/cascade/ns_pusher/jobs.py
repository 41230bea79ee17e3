"""`ns_pending_pushes` as a leased job table: mark due, claim, inspect, retry.

Statuses: pending -> in_flight -> applied | retrying | failed; retrying -> in_flight when
due; failed -> pending on a manual retry. `next_attempt_at` is when a push may be attempted
next: for pending and retrying rows the policy's schedule, for an in_flight row the end of
its lease, after which another poller takes over a pusher that died. The lease value also
fences the outcome write (see recording.py). Claim, fence and retry are the shared
`cascade.shared.leased_jobs`.

`attempts` counts every call ever made for the push; the policy allows `max_attempts` per
round, and a manual retry moves the count to the end of the current round so the next call
opens a new one (`leased_jobs.round_and_attempt`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.ns_pusher.domain import ClaimedPush
from cascade.shared.db.models import NsPendingPush
from cascade.shared.db.statuses import PushStatus
from cascade.shared.leased_jobs import JobTable, requeue_failed, wake_due

PUSHES = JobTable(
    model=NsPendingPush,
    running=PushStatus.IN_FLIGHT,
    waiting=(PushStatus.PENDING, PushStatus.RETRYING),
    claimed=ClaimedPush,
    lease_column="next_attempt_at",
)

_MARK_DUE = text("""
UPDATE ns_pending_pushes
SET next_attempt_at = COALESCE(next_attempt_at, now()), updated_at = now()
WHERE id = :id AND status IN (:pending, :retrying)
RETURNING id, record_type, external_id
""").bindparams(pending=PushStatus.PENDING, retrying=PushStatus.RETRYING)

_VIEW = """
SELECT id, run_id, record_type, external_id, status, attempts, next_attempt_at,
       last_error, netsuite_id, applied_at, created_at, updated_at
FROM ns_pending_pushes
"""


async def mark_due(session: AsyncSession, push_id: int) -> tuple[str, str] | None:
    """Make a pending push due now (idempotent), waking this process's pushers once the
    caller commits; the push's (record type, external id), or None when it is not waiting
    to be pushed (or does not exist)."""
    marked = (await session.execute(_MARK_DUE, {"id": push_id})).first()
    if marked is None:
        return None
    wake_due(session, PUSHES)
    return marked.record_type, marked.external_id


async def retry_failed(session: AsyncSession, push_id: int, max_attempts: int) -> bool:
    """Start a new round of attempts for a failed push (the pushers woken by the commit);
    False unless it was `failed`."""
    return await requeue_failed(session, PUSHES, push_id, max_attempts, PushStatus.PENDING)


async def view(session: AsyncSession, push_id: int) -> dict[str, Any] | None:
    """One push as operators see it, or None."""
    row = (await session.execute(text(_VIEW + " WHERE id = :id"), {"id": push_id})).first()
    return None if row is None else dict(row._mapping)


async def list_by_status(session: AsyncSession, status: str, limit: int) -> list[dict[str, Any]]:
    """The newest pushes in `status` (e.g. `failed`, for the retry button)."""
    stmt = text(_VIEW + " WHERE status = :status ORDER BY updated_at DESC LIMIT :limit")
    rows = (await session.execute(stmt, {"status": status, "limit": limit})).all()
    return [dict(row._mapping) for row in rows]
