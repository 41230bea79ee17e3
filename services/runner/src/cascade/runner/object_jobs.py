"""`object_puts`: the objects of `object_put` steps as a leased job table.

The step's effect (in the run's transaction) fixes the object: its key, its canonical JSON
bytes and their SHA-256 go into one row with the step's status. The object worker
(`object_worker.py`) claims due rows, PUTs outside any transaction and finishes the step
in the transaction that records the outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.runner.repositories import ContractSql
from cascade.shared.contract import (
    ObjectPutStep,
    bind,
    object_document,
    object_key,
    shape_context_result,
)
from cascade.shared.db.models import ObjectPut, WorkflowRun
from cascade.shared.db.rows import insert_of
from cascade.shared.db.statuses import ObjectPutStatus
from cascade.shared.leased_jobs import ClaimedJob, JobTable, wake_due, write_fenced
from cascade.shared.objectstore import ObjectBody, object_body

PUT_ID = "object_put_id"
"""The output of an `object_put` step that waits for its object (the job row's id)."""


class ObjectPuts(Protocol):
    """`object_puts`: the objects of `object_put` steps, a leased job table."""

    async def add_if_new(self, put: ObjectPut) -> int:
        """Queue the object, due now (this process's object worker woken by the commit); the
        job's id, the earlier row's when the run's step staged one already."""
        ...

    async def reopen(
        self, run_id: uuid.UUID, step_id: str, repair_id: int, max_attempts: int
    ) -> int | None:
        """Queue a stored (or failed) object again for a repair, as a new round; its job id,
        or None when the step has no finished object."""
        ...

    async def unstored(self, repair_id: int) -> int:
        """How many of the repair's objects are not stored yet."""
        ...

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        """Write a claimed job's outcome while the lease is still ours; False if it is not."""
        ...


# A stored (or failed) object back in the queue for a repair, as a new round of attempts
# (the count moved to the end of its round, as `leased_jobs.requeue_statement` does): the
# same bytes under the same key, so the store ends up holding what the run recorded.
_REOPEN = text("""
UPDATE object_puts
SET status = :queued,
    attempts = ((attempts + :cap - 1) / :cap) * :cap,
    next_attempt_at = now(), lease_until = NULL, last_error = NULL,
    repair_id = :repair_id, updated_at = now()
WHERE run_id = :run_id AND step_id = :step_id AND status IN (:stored, :failed)
RETURNING id
""").bindparams(
    queued=ObjectPutStatus.QUEUED, stored=ObjectPutStatus.STORED, failed=ObjectPutStatus.FAILED
)


class SqlObjectPuts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, put: ObjectPut) -> int:
        wake_due(self._session, OBJECT_PUTS)
        stmt = (
            insert_of(put)
            .values(next_attempt_at=text("now()"))
            .on_conflict_do_nothing(index_elements=[ObjectPut.run_id, ObjectPut.step_id])
            .returning(ObjectPut.id)
        )
        inserted = (await self._session.execute(stmt)).scalar_one_or_none()
        if inserted is not None:
            return inserted
        existing = select(ObjectPut.id).where(
            ObjectPut.run_id == put.run_id, ObjectPut.step_id == put.step_id
        )
        return (await self._session.execute(existing)).scalar_one()

    async def reopen(
        self, run_id: uuid.UUID, step_id: str, repair_id: int, max_attempts: int
    ) -> int | None:
        params = {"run_id": run_id, "step_id": step_id, "repair_id": repair_id, "cap": max_attempts}
        reopened = (await self._session.execute(_REOPEN, params)).scalar_one_or_none()
        if reopened is not None:
            wake_due(self._session, OBJECT_PUTS)
        return reopened

    async def unstored(self, repair_id: int) -> int:
        left = await self._session.scalar(
            select(func.count())
            .select_from(ObjectPut)
            .where(ObjectPut.repair_id == repair_id, ObjectPut.status != ObjectPutStatus.STORED)
        )
        return int(left or 0)

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        return await write_fenced(self._session, OBJECT_PUTS, job_id, lease_until, values)


@dataclass(frozen=True)
class StagedObject:
    """What an `object_put` step stores for this run: the key and the exact bytes."""

    key: str
    body: ObjectBody


class ObjectWork(Protocol):
    """What staging an object touches: the step's queries and the job table."""

    contract_sql: ContractSql
    object_puts: ObjectPuts


async def assemble(
    contract_sql: ContractSql, step: ObjectPutStep, values: Mapping[str, object]
) -> StagedObject:
    """Run the step's read-only queries in the caller's transaction, then build the key and
    the canonical bytes (pure from here: `object_document`, `object_body`)."""
    results: dict[str, object] = {}
    for query in step.queries:
        rows = await contract_sql.rows(query.sql, bind(query.sql, values))
        results[query.name] = shape_context_result(query, rows)
    document = object_document(step, values, results)
    return StagedObject(object_key(step, values), object_body(document))


async def stage_object(
    uow: ObjectWork, run: WorkflowRun, step: ObjectPutStep, values: Mapping[str, object]
) -> int:
    """Queue the step's object (due now; this process's object worker woken by the commit);
    the job's id. A row staged before for this run and step is kept as it was."""
    staged = await assemble(uow.contract_sql, step, values)
    put = ObjectPut(
        run_id=run.run_id, step_id=step.id, object_key=staged.key, body=staged.body.data,
        sha256=staged.body.sha256, content_type=staged.body.content_type,
        status=ObjectPutStatus.QUEUED, attempts=0,
    )  # fmt: skip
    return await uow.object_puts.add_if_new(put)


@dataclass(frozen=True, kw_only=True)
class ClaimedObject(ClaimedJob):
    """An object this worker holds (`claim_jobs(..., OBJECT_PUTS, ...)`):
    its key, the exact bytes and their SHA-256."""

    run_id: uuid.UUID
    step_id: str
    object_key: str
    sha256: str
    body: bytes
    content_type: str
    repair_id: int | None = None
    """The repair this round writes the object again for (`verify_repairs`), if any."""

    def __str__(self) -> str:
        return f"object {self.object_key} of run {self.run_id} (attempt {self.attempt})"


OBJECT_PUTS = JobTable(
    model=ObjectPut,
    running=ObjectPutStatus.PUTTING,
    waiting=(ObjectPutStatus.QUEUED, ObjectPutStatus.RETRYING),
    claimed=ClaimedObject,
)
