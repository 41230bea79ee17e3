"""Typed claims: a claimed row as the dataclass its worker works with, built one way.

A job table's typed claim subclasses `ClaimedJob` (the lease's own fields) and adds one
field per column it needs, named as the column in `JobTable.returning`; `claim_jobs`
leases rows and fills both, so no service maps a claimed row by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.leased_jobs.retry import round_and_attempt
from cascade.shared.leased_jobs.store import Claim, JobTable, claim_due
from cascade.shared.tracing import TRACEPARENT


@dataclass(frozen=True, kw_only=True)
class ClaimedJob:
    """A job this worker holds until `lease_until` (its write fence); `attempt` is this
    attempt's number in round `round` (1-based; a table without a per-round cap has one
    round, and `attempt` counts every attempt); `exhausted` when retaken after the round's
    last allowed attempt was cut off; `retaken` when the previous owner's lease ran out
    with nothing recorded."""

    job_id: int
    attempt: int
    round: int = 0
    lease_until: datetime
    exhausted: bool = False
    retaken: bool = False
    traceparent: str | None = None
    """The trace of the work that made the job (its row's `traceparent`), continued by the
    attempt; None for a table without one."""


J = TypeVar("J", bound=ClaimedJob)

_LEASE_FIELDS = frozenset(f.name for f in fields(ClaimedJob))


def row_fields(kind: type[ClaimedJob], table: JobTable) -> tuple[str, ...]:
    """The fields of `kind` that come from the claimed row; each must be a column `table`'s
    claim returns (a few names: cheaper than caching next to a round trip)."""
    names = tuple(f.name for f in fields(kind) if f.name not in _LEASE_FIELDS)
    missing = sorted(set(names) - set(table.returning))
    if missing:
        raise ValueError(f"{kind.__name__}: job table {table.name!r} returns no {missing}")
    return names


def typed_claim(kind: type[J], table: JobTable, claim: Claim, max_attempts: int | None) -> J:
    """`claim` as a `kind`: the lease's fields, and each other field from its column."""
    return _typed(kind, claim, row_fields(kind, table), max_attempts, "round" in table.returning)


def _typed(
    kind: type[J],
    claim: Claim,
    names: tuple[str, ...],
    max_attempts: int | None,
    own_round: bool = False,
) -> J:
    round_no, attempt = (
        round_and_attempt(claim.attempts, max_attempts) if max_attempts else (0, claim.attempts)
    )
    if own_round:
        # A table that keeps its own `round` column (verify checks: a re-verification is a
        # new round, with no cap on attempts) names the round itself.
        round_no = int(claim.row["round"])
    values = {name: claim.row[name] for name in names}
    return kind(
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
    table: JobTable,
    kind: type[J],
    lease_s: float,
    max_attempts: int | None = None,
    limit: int = 1,
) -> list[J]:
    """Lease up to `limit` of the most overdue jobs of `table` (`claim_due`), committed
    before they run, as `kind`s; `max_attempts` caps a round (None: no cap)."""
    names = row_fields(kind, table)  # a class that does not fit its table fails before leasing
    claims = await claim_due(factory, table, lease_s, max_attempts, limit)
    own_round = "round" in table.returning
    return [_typed(kind, claim, names, max_attempts, own_round) for claim in claims]
