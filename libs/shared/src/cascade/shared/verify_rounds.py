"""Rounds of a verify check: a decided check put back in the queue is its next round.

The verifier decides a check once per round; a re-verification (asked for by hand, or by a
repair that ran) opens the next one, so its `verify.result` carries a new idempotency key
(`verify.result:<run>:<check>:r<round>`) instead of being deduplicated as the old result.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import VerifyResult
from cascade.shared.db.statuses import CheckStatus

DECIDED = (CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.TIMEOUT)


def result_key_suffix(check_name: str, round_number: int) -> str:
    """The part of a check's event keys after the run id (round 0 keeps the plain name)."""
    return check_name if round_number == 0 else f"{check_name}:r{round_number}"


async def reverify(
    session: AsyncSession, run_id: uuid.UUID, check_name: str, deadline_at: datetime
) -> int | None:
    """Put a decided check of a run back in the queue as its next round, due now, until
    `deadline_at` (in `session`'s transaction); the new round, or None unless the check was
    decided. A verifier in another process finds it at its next poll."""
    stmt = (
        update(VerifyResult)
        .where(
            VerifyResult.run_id == run_id,
            VerifyResult.check_name == check_name,
            VerifyResult.status.in_(DECIDED),
        )
        .values(
            status=CheckStatus.PENDING,
            round=VerifyResult.round + 1,
            due_at=func.now(),
            deadline_at=deadline_at,
            lease_until=None,
        )
        .returning(VerifyResult.round)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
