"""Login throttling in PostgreSQL: per address and global, doubling delays, capped.

Every attempt first reserves its place in the budget, before the password is verified: one
`INSERT ... ON CONFLICT DO UPDATE ... WHERE not blocked` both checks the key and counts the
attempt, and the row lock it takes is held until the wait it causes is written and
committed. So concurrent attempts queue on the row and each sees the one before it: a burst
of 60 wrong passwords gets as many argon2 verifications as 60 sequential ones would, not
60. A success deletes the rows again (`LoginThrottles.forgive`). The use cases are in
`logins.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import delete, func, or_, select, update
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


class LoginThrottles(Protocol):
    """`ui_login_throttle`: the failures counted under each key, and its block."""

    async def take(self, key: str) -> int | None:
        """Count one attempt under `key` unless it is blocked; the attempt's number, or None
        (nothing counted) when blocked. Holds the key's row lock until the commit."""
        ...

    async def block(self, key: str, delay_s: float) -> None:
        """Block `key` for `delay_s` seconds from now (the wall clock)."""
        ...

    async def blocked_for(self, keys: Sequence[str]) -> float:
        """Seconds until any of `keys` may try again (0 when none is blocked)."""
        ...

    async def forgive(self, keys: Sequence[str]) -> None:
        """Clear the counters of `keys` (a correct password)."""
        ...


class SqlLoginThrottles:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def take(self, key: str) -> int | None:
        row = LoginThrottle
        stmt = (
            insert(row)
            .values(key=key, failures=1, last_failure_at=func.now())
            .on_conflict_do_update(
                index_elements=[row.key],
                set_={"failures": row.failures + 1, "last_failure_at": func.now()},
                # The wall clock, not the transaction's start: this statement may have
                # waited for another attempt's row lock.
                where=or_(row.blocked_until.is_(None), row.blocked_until <= func.clock_timestamp()),
            )
            .returning(row.failures)
        )
        failures = (await self._session.execute(stmt)).scalar_one_or_none()
        return None if failures is None else int(failures)

    async def block(self, key: str, delay_s: float) -> None:
        await self._session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(blocked_until=func.clock_timestamp() + timedelta(seconds=delay_s))
        )

    async def blocked_for(self, keys: Sequence[str]) -> float:
        wait = func.greatest(
            0, func.extract("epoch", LoginThrottle.blocked_until - func.clock_timestamp())
        )
        rows = await self._session.scalars(
            select(wait).where(
                LoginThrottle.key.in_(keys), LoginThrottle.blocked_until.is_not(None)
            )
        )
        return max([float(r) for r in rows.all()], default=0.0)

    async def forgive(self, keys: Sequence[str]) -> None:
        await self._session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
