"""`ns_pending_pushes` as a job table: mark due, claim with a lease, inspect, retry.

Statuses: pending -> in_flight -> applied | retrying | failed; retrying -> in_flight when
due; failed -> pending on a manual retry. `next_attempt_at` is when a push may be attempted
next: for pending and retrying rows the policy's schedule, for an in_flight row the end of
its lease, after which another poller takes over a pusher that died. The lease value also
fences the outcome write (see recording.py).

`attempts` counts every call ever made for the push; the policy allows `max_attempts` per
round, and a manual retry moves the count to the end of the current round so the next call
opens a new one (`domain.round_and_attempt`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.ns_pusher.domain import ClaimedPush, round_and_attempt

# A row retaken after its lease ran out already had its attempt counted; when that was the
# round's last allowed call, it is claimed without counting another and failed without
# calling NetSuite again (`exhausted`).
_CLAIM = text("""
WITH due AS (
    SELECT id, status = 'in_flight' AND attempts % :max_attempts = 0 AS exhausted
    FROM ns_pending_pushes
    WHERE status IN ('pending', 'retrying', 'in_flight') AND next_attempt_at <= now()
    ORDER BY next_attempt_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE ns_pending_pushes AS p
SET status = 'in_flight',
    attempts = CASE WHEN due.exhausted THEN p.attempts ELSE p.attempts + 1 END,
    next_attempt_at = now() + make_interval(secs => :lease_s),
    updated_at = now()
FROM due
WHERE p.id = due.id
RETURNING p.id, p.run_id, p.record_type, p.external_id, p.payload, p.attempts,
          p.next_attempt_at, due.exhausted
""")

_MARK_DUE = text("""
UPDATE ns_pending_pushes
SET next_attempt_at = COALESCE(next_attempt_at, now()), updated_at = now()
WHERE id = :id AND status IN ('pending', 'retrying')
RETURNING id
""")

_RETRY = text("""
UPDATE ns_pending_pushes
SET status = 'pending',
    attempts = ((attempts + :max_attempts - 1) / :max_attempts) * :max_attempts,
    next_attempt_at = now(),
    updated_at = now()
WHERE id = :id AND status = 'failed'
RETURNING id
""")

_VIEW = """
SELECT id, run_id, record_type, external_id, status, attempts, next_attempt_at,
       last_error, netsuite_id, applied_at, created_at, updated_at
FROM ns_pending_pushes
"""


async def claim_due(
    factory: async_sessionmaker[AsyncSession], max_attempts: int, lease_s: float
) -> ClaimedPush | None:
    """Lease the most overdue push, committed before NetSuite is called; None when idle."""
    async with factory() as session, session.begin():
        params = {"max_attempts": max_attempts, "lease_s": lease_s}
        row = (await session.execute(_CLAIM, params)).first()
    if row is None:
        return None
    push_id, run_id, record_type, external_id, payload, attempts, lease_until, exhausted = row
    round_no, attempt = round_and_attempt(attempts, max_attempts)
    return ClaimedPush(
        push_id=push_id,
        run_id=run_id,
        record_type=record_type,
        external_id=external_id,
        payload=payload,
        attempt=attempt,
        round=round_no,
        lease_until=lease_until,
        exhausted=exhausted,
    )


async def mark_due(session: AsyncSession, push_id: int) -> bool:
    """Make a pending push due now (idempotent); False when it is not waiting to be pushed."""
    return (await session.execute(_MARK_DUE, {"id": push_id})).first() is not None


async def retry_failed(session: AsyncSession, push_id: int, max_attempts: int) -> bool:
    """Start a new round of attempts for a failed push; False unless it was `failed`."""
    params = {"id": push_id, "max_attempts": max_attempts}
    return (await session.execute(_RETRY, params)).first() is not None


async def view(session: AsyncSession, push_id: int) -> dict[str, Any] | None:
    """One push as operators see it, or None."""
    row = (await session.execute(text(_VIEW + " WHERE id = :id"), {"id": push_id})).first()
    return None if row is None else dict(row._mapping)


async def list_by_status(session: AsyncSession, status: str, limit: int) -> list[dict[str, Any]]:
    """The newest pushes in `status` (e.g. `failed`, for the retry button)."""
    stmt = text(_VIEW + " WHERE status = :status ORDER BY updated_at DESC LIMIT :limit")
    rows = (await session.execute(stmt, {"status": status, "limit": limit})).all()
    return [dict(row._mapping) for row in rows]
