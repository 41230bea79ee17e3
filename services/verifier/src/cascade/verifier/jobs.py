"""`workflow_verify_results` as a leased job table (`cascade.shared.leased_jobs`).

One claim serves the continuous poller and the cron sweep: a pending check whose due time
passed, or a running one whose lease ran out (its verifier died), ordered by due time.
SKIP LOCKED lets several verifiers claim side by side without ever taking the same row;
the lease (committed before the check runs) keeps it theirs until they record an outcome.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared import verify_rounds
from cascade.shared.db.models import VerifyResult
from cascade.shared.db.statuses import CheckStatus
from cascade.shared.leased_jobs import JobTable, wake_due
from cascade.verifier.domain import ClaimedCheck

CHECKS = JobTable(
    model=VerifyResult,
    running=CheckStatus.RUNNING,
    waiting=(CheckStatus.PENDING,),
    claimed=ClaimedCheck,
    due_column="due_at",
)


async def reverify(
    session: AsyncSession, run_id: uuid.UUID, check_name: str, deadline_at: datetime
) -> bool:
    """Put a decided check of a run back in the queue as its next round, due now, until
    `deadline_at` (`cascade.shared.verify_rounds.reverify`), waking this process's checkers
    at the commit: how drift is looked for again after a run ended. False unless the check
    was decided."""
    requeued = await verify_rounds.reverify(session, run_id, check_name, deadline_at) is not None
    if requeued:
        wake_due(session, CHECKS)
    return requeued
