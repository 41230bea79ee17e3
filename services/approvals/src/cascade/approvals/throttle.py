"""Login throttling in PostgreSQL: per address and global, doubling delays, capped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import LoginThrottle

GLOBAL_KEY = "global"


@dataclass(frozen=True)
class Budget:
    """Free failures before delays start, and the first and the largest delay."""

    free_failures: int
    base_delay_s: float
    max_delay_s: float


def delay_after(failures: int, budget: Budget) -> float:
    """Seconds to wait after `failures` consecutive failures (pure): 0 within the free
    tries, then doubling, never above the cap, so no lockout is permanent."""
    over = failures - budget.free_failures
    if over <= 0:
        return 0.0
    return float(min(budget.max_delay_s, budget.base_delay_s * 2 ** min(over - 1, 30)))


def address_key(remote_addr: str | None) -> str:
    """The throttle row of one client address."""
    return f"addr:{remote_addr or 'unknown'}"


async def blocked_for(session: AsyncSession, keys: list[str]) -> float:
    """Seconds until any of `keys` may try again (0 when none is blocked)."""
    wait = func.greatest(0, func.extract("epoch", LoginThrottle.blocked_until - func.now()))
    rows = await session.scalars(
        select(wait).where(LoginThrottle.key.in_(keys), LoginThrottle.blocked_until.is_not(None))
    )
    return max([float(r) for r in rows.all()], default=0.0)


async def record_failure(session: AsyncSession, key: str, budget: Budget) -> float:
    """Count a failure for `key`; returns the delay it now carries."""
    row = LoginThrottle
    stmt = (
        insert(row)
        .values(key=key, failures=1, last_failure_at=func.now())
        .on_conflict_do_update(
            index_elements=[row.key],
            set_={"failures": row.failures + 1, "last_failure_at": func.now()},
        )
        .returning(row.failures, func.now())
    )
    failures, now = (await session.execute(stmt)).one()
    delay = delay_after(int(failures), budget)
    if delay > 0:
        until: datetime = now + timedelta(seconds=delay)
        await session.execute(
            insert(row)
            .values(key=key, failures=failures, blocked_until=until)
            .on_conflict_do_update(index_elements=[row.key], set_={"blocked_until": until})
        )
    return delay


async def record_success(session: AsyncSession, keys: list[str]) -> None:
    """A correct password clears the counters it was counted under."""
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
