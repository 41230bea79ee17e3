"""A job table's outcomes as a repository: what a worker's recording use case sees
(`FencedOutcomes`; the fast tests hand in `cascade.devstack.fake_uow.FakeFencedOutcomes`) and
its SQL, `record_fenced`.

The outcome, the messages announcing it and any further writes of it are one autocommit
statement, so there is no transaction to hand around: the repository is the unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs.store import JobTable, record_fenced
from cascade.shared.outbox import outbox_record


@dataclass(frozen=True)
class FencedOutcome:
    """What one claim's outcome writes: `values` on the claimed row, the (topic, envelope)
    messages to stage and the `also` statements (SQL reading `fenced`, with parameters: see
    `record_fenced`), all only while the row still runs under this claim's lease."""

    job_id: int
    lease_until: datetime
    values: Mapping[str, Any]
    staged: Sequence[tuple[str, Envelope]] = ()
    also: Sequence[tuple[str, Mapping[str, Any]]] = ()


class FencedOutcomes(Protocol):
    """The outcomes of one job table's claims."""

    async def record(self, outcome: FencedOutcome) -> bool:
        """Write the outcome, committed together; False (nothing written) when another worker
        retook the job."""
        ...


class SqlFencedOutcomes:
    def __init__(self, factory: async_sessionmaker[AsyncSession], table: JobTable[Any]) -> None:
        self._factory = factory
        self._table = table

    async def record(self, outcome: FencedOutcome) -> bool:
        records = [outbox_record(topic, envelope) for topic, envelope in outcome.staged]
        return await record_fenced(
            self._factory,
            self._table,
            outcome.job_id,
            outcome.lease_until,
            outcome.values,
            records,
            outcome.also,
        )
