"""The verifier's unit of work in memory (`unit_of_work.VerifierWork`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cascade.devstack.fake_uow import FakeRepository, FakeUnitOfWork
from cascade.shared.db.models import VerifyResult


class FakeRunChecks(FakeRepository):
    def __init__(self, *rows: VerifyResult) -> None:
        self.rows = list(rows)
        self.woken = False

    async def lock_of_run(self, run_id: uuid.UUID) -> Sequence[VerifyResult]:
        return [row for row in self.rows if row.run_id == run_id]

    def wake_checkers(self) -> None:
        self.woken = True


class FakeVerifierWork(FakeUnitOfWork):
    def __init__(self, *rows: VerifyResult) -> None:
        super().__init__()
        self.checks = FakeRunChecks(*rows)
