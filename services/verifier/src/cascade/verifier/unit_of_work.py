"""The verifier's unit of work for its handler: a run's checks, and the SQL one over a session.

`handlers.report_run_ended` sees `VerifierWork` only; the consumer's open `UnitOfWork`
becomes `SqlVerifierWork(uow)`, a fast test's is `tests/fakes.py`'s fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.models import VerifyResult
from cascade.shared.db.uow import AbstractUnitOfWork, BoundUnitOfWork, UnitOfWork
from cascade.shared.leased_jobs import wake_due
from cascade.verifier.jobs import CHECKS


class RunChecks(Protocol):
    """`workflow_verify_results`, a run at a time."""

    async def lock_of_run(self, run_id: uuid.UUID) -> Sequence[VerifyResult]:
        """The run's checks in the order they were staged, locked."""
        ...

    def wake_checkers(self) -> None:
        """Wake this process's checkers once the transaction commits (a check is due)."""
        ...


class VerifierWork(AbstractUnitOfWork, Protocol):
    """What the run-ended handler touches: the run's checks and the outbox."""

    checks: RunChecks


class SqlRunChecks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_of_run(self, run_id: uuid.UUID) -> Sequence[VerifyResult]:
        return (
            await self._session.scalars(
                select(VerifyResult)
                .where(VerifyResult.run_id == run_id)
                .order_by(VerifyResult.id)
                .with_for_update()
            )
        ).all()

    def wake_checkers(self) -> None:
        wake_due(self._session, CHECKS)


class SqlVerifierWork(BoundUnitOfWork):
    """`VerifierWork` in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.checks: RunChecks = SqlRunChecks(uow.session)
