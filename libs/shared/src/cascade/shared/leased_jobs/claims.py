"""Typed claims: a claimed row as the dataclass its worker works with, built one way.

A job table names its typed claim (`JobTable.claimed`, a `ClaimedJob` subclass with one
field per column it needs); `claim_jobs` leases rows and fills both the lease's fields and
those, so no service maps a claimed row by hand.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.leased_jobs.retry import round_and_attempt
from cascade.shared.leased_jobs.store import LEASE_FIELDS, Claim, J, JobTable, claim_due
from cascade.shared.tracing import TRACEPARENT


def typed_claim(table: JobTable[J], claim: Claim, max_attempts: int | None) -> J:
    """`claim` as the table's typed claim: the lease's fields, and each other field from its
    column; `max_attempts` caps a round (None: no cap, one round)."""
    round_no, attempt = (
        round_and_attempt(claim.attempts, max_attempts) if max_attempts else (0, claim.attempts)
    )
    if table.own_round:
        round_no = int(claim.row["round"])
    values = {name: claim.row[name] for name in table.returning if name not in LEASE_FIELDS}
    return table.claimed(
        job_id=claim.job_id,
        attempt=attempt,
        round=round_no,
        lease_until=claim.lease_until,
        exhausted=claim.exhausted,
        retaken=claim.retaken,
        traceparent=claim.row.get(TRACEPARENT),
        **values,
    )


async def claim_jobs(
    factory: async_sessionmaker[AsyncSession],
    table: JobTable[J],
    lease_s: float,
    max_attempts: int | None = None,
    limit: int = 1,
) -> list[J]:
    """Lease up to `limit` of the most overdue jobs of `table` (`claim_due`), committed
    before they run, as its typed claims; `max_attempts` caps a round (None: no cap)."""
    claims = await claim_due(factory, table, lease_s, max_attempts, limit)
    return [typed_claim(table, claim, max_attempts) for claim in claims]
