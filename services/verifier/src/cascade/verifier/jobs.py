"""`workflow_verify_results` as a job table: claim a due check with a lease.

One query serves the continuous poller and the cron sweep: a pending check whose due time
passed, or a running one whose lease ran out (its verifier died), ordered by due time.
SKIP LOCKED lets several verifiers claim side by side without ever taking the same row;
the lease (committed before the check runs) keeps it theirs until they record an outcome.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.verifier.domain import ClaimedCheck

_CLAIM = text("""
WITH due AS (
    SELECT id
    FROM workflow_verify_results
    WHERE (status = 'pending' AND due_at <= now())
       OR (status = 'running' AND lease_until <= now())
    ORDER BY due_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
UPDATE workflow_verify_results AS v
SET status = 'running',
    attempts = v.attempts + 1,
    lease_until = now() + make_interval(secs => :lease_s)
FROM due
WHERE v.id = due.id
RETURNING v.id, v.run_id, v.check_name, v.kind, v.spec, v.attempts, v.due_at,
          v.deadline_at, v.lease_until, v.detail
""")


async def claim_due(
    factory: async_sessionmaker[AsyncSession], lease_s: float
) -> ClaimedCheck | None:
    """Lease the most overdue check, committed before it runs; None when nothing is due."""
    async with factory() as session, session.begin():
        row = (await session.execute(_CLAIM, {"lease_s": lease_s})).first()
    if row is None:
        return None
    check_id, run_id, name, kind, spec, attempts, due_at, deadline_at, lease_until, detail = row
    return ClaimedCheck(
        id=check_id,
        run_id=run_id,
        check_name=name,
        kind=kind,
        spec=spec,
        attempt=attempts,
        due_at=due_at,
        deadline_at=deadline_at,
        lease_until=lease_until,
        detail=detail,
    )
