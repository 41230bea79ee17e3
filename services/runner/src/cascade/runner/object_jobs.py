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

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.contract import (
    ObjectPutStep,
    bind,
    object_document,
    object_key,
    shape_context_result,
)
from cascade.shared.db.models import ObjectPut, WorkflowRun
from cascade.shared.db.statuses import ObjectPutStatus
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.leased_jobs import ClaimedJob, JobTable, wake_due
from cascade.shared.objectstore import ObjectBody, object_body

OBJECT_PUTS = JobTable(
    model=ObjectPut,
    running=ObjectPutStatus.PUTTING,
    waiting=(ObjectPutStatus.QUEUED, ObjectPutStatus.RETRYING),
    due_column="next_attempt_at",
    lease_column="lease_until",
    returning=("run_id", "step_id", "object_key", "sha256", "body", "content_type", "repair_id"),
    failed=ObjectPutStatus.FAILED,
    has_updated_at=True,
)
PUT_ID = "object_put_id"
"""The output of an `object_put` step that waits for its object (the job row's id)."""


@dataclass(frozen=True)
class StagedObject:
    """What an `object_put` step stores for this run: the key and the exact bytes."""

    key: str
    body: ObjectBody


async def assemble(
    uow: UnitOfWork, step: ObjectPutStep, values: Mapping[str, object]
) -> StagedObject:
    """Run the step's read-only queries in the caller's transaction, then build the key and
    the canonical bytes (pure from here: `object_document`, `object_body`)."""
    results: dict[str, object] = {}
    for query in step.queries:
        rows = (await uow.session.execute(text(query.sql), bind(query.sql, values))).mappings()
        results[query.name] = shape_context_result(query, [dict(row) for row in rows])
    document = object_document(step, values, results)
    return StagedObject(object_key(step, values), object_body(document))


async def stage_object(
    uow: UnitOfWork, run: WorkflowRun, step: ObjectPutStep, values: Mapping[str, object]
) -> int:
    """Queue the step's object (due now; this process's object worker woken by the commit);
    the job's id. A row staged before for this run and step is kept as it was."""
    staged = await assemble(uow, step, values)
    wake_due(uow.session, OBJECT_PUTS)
    stmt = (
        insert(ObjectPut)
        .values(
            run_id=run.run_id, step_id=step.id, object_key=staged.key, body=staged.body.data,
            sha256=staged.body.sha256, content_type=staged.body.content_type,
            status=ObjectPutStatus.QUEUED, attempts=0, next_attempt_at=text("now()"),
        )
        .on_conflict_do_nothing(index_elements=[ObjectPut.run_id, ObjectPut.step_id])
        .returning(ObjectPut.id)
    )  # fmt: skip
    inserted = (await uow.session.execute(stmt)).scalar_one_or_none()
    if inserted is not None:
        return inserted
    existing = select(ObjectPut.id).where(
        ObjectPut.run_id == run.run_id, ObjectPut.step_id == step.id
    )
    return (await uow.session.execute(existing)).scalar_one()


@dataclass(frozen=True, kw_only=True)
class ClaimedObject(ClaimedJob):
    """An object this worker holds (`claim_jobs(..., OBJECT_PUTS, ClaimedObject, ...)`):
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


async def reopen_for_repair(
    session: AsyncSession,
    run_id: uuid.UUID,
    step_id: str,
    repair_id: int,
    max_attempts: int,
) -> int | None:
    """Queue a run's object again for repair `repair_id` (in `session`'s transaction; this
    process's object worker woken by the commit); its job id, or None when the step has no
    finished object (never written, or being written right now)."""
    params = {"run_id": run_id, "step_id": step_id, "repair_id": repair_id, "cap": max_attempts}
    reopened = (await session.execute(_REOPEN, params)).scalar_one_or_none()
    if reopened is not None:
        wake_due(session, OBJECT_PUTS)
    return reopened
