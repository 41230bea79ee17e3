"""A job table's outcomes as a repository: what a worker's recording use case sees
(`FencedOutcomes`; the fast tests hand in `cascade.devstack.fake_uow.FakeFencedOutcomes`) and
its SQL, `record_fenced`.

The outcome, the messages announcing it and any further writes of it are one autocommit
statement, so there is no transaction to hand around: the repository is the unit of work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs.store import JobTable, record_fenced
from cascade.shared.outbox import outbox_record


class FencedOutcomes(Protocol):
    """The outcomes of one job table's claims."""

    async def record(
        self,
        job_id: int,
        lease_until: datetime,
        values: Mapping[str, Any],
        staged: Sequence[tuple[str, Envelope]] = (),
        also: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> bool:
        """Write `values` on the claimed row, stage the (topic, envelope) messages and run
        the `also` statements, all only while the row still runs under this claim's lease,
        committed together; False (nothing written) when another worker retook the job.
        `also`: SQL reading `fenced`, with its parameters (`record_fenced`)."""
        ...


class SqlFencedOutcomes:
    def __init__(self, factory: async_sessionmaker[AsyncSession], table: JobTable) -> None:
        self._factory = factory
        self._table = table

    async def record(
        self,
        job_id: int,
        lease_until: datetime,
        values: Mapping[str, Any],
        staged: Sequence[tuple[str, Envelope]] = (),
        also: Sequence[tuple[str, Mapping[str, Any]]] = (),
    ) -> bool:
        records = [outbox_record(topic, envelope) for topic, envelope in staged]
        return await record_fenced(
            self._factory, self._table, job_id, lease_until, values, records, also
        )
