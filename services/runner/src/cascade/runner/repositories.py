"""What the runner's use cases read and write, one repository per thing held: its protocol
(all a use case sees, through `unit_of_work.RunnerWork`; the fast tests hand in fakes) and
its SQL, over the run's session. Rows are the ORM models: a row a repository returned and
the use case changed is written by the transaction's flush. The object jobs' repository is
in `object_jobs.py`, with their table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared import verify_rounds
from cascade.shared.db.models import (
    NsPendingPush,
    ProposedAction,
    VerifyRepair,
    VerifyResult,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.db.rows import insert_of
from cascade.shared.db.statuses import RepairStatus


class Runs(Protocol):
    """`workflow_runs` and their steps (`workflow_run_steps`)."""

    async def add_if_new(self, run: WorkflowRun) -> WorkflowRun | None:
        """Insert the run unless its id is known; the stored row (locked: this transaction
        inserted it), or None for a replay."""
        ...

    async def lock(self, run_id: uuid.UUID, skip_locked: bool = False) -> WorkflowRun | None:
        """The run row, locked (`FOR UPDATE`); with `skip_locked`, None when another
        transaction holds it."""
        ...

    async def steps(self, run_id: uuid.UUID) -> dict[str, WorkflowRunStep]:
        """The run's step rows by step id."""
        ...

    def add_steps(self, rows: Iterable[WorkflowRunStep]) -> None:
        """Add new step rows to the transaction."""
        ...


class SqlRuns:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, run: WorkflowRun) -> WorkflowRun | None:
        # The INSERT returns the ORM object, so no SELECT ... FOR UPDATE follows it.
        inserted = await self._session.scalars(
            insert_of(run).on_conflict_do_nothing(index_elements=["run_id"]).returning(WorkflowRun)
        )
        return inserted.one_or_none()

    async def lock(self, run_id: uuid.UUID, skip_locked: bool = False) -> WorkflowRun | None:
        return (
            await self._session.scalars(
                select(WorkflowRun)
                .where(WorkflowRun.run_id == run_id)
                .with_for_update(skip_locked=skip_locked)
            )
        ).one_or_none()

    async def steps(self, run_id: uuid.UUID) -> dict[str, WorkflowRunStep]:
        rows = await self._session.scalars(
            select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id)
        )
        return {r.step_id: r for r in rows}

    def add_steps(self, rows: Iterable[WorkflowRunStep]) -> None:
        self._session.add_all(rows)


class Proposals(Protocol):
    """`proposed_actions`."""

    async def get(self, proposal_id: int) -> ProposedAction | None:
        """The proposal, unlocked."""
        ...

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        """The proposal, locked (after its run: the run lock comes first, always)."""
        ...

    async def add(self, proposal: ProposedAction) -> int:
        """Add the proposal to the transaction and flush it; its id."""
        ...

    async def insert(self, proposal: ProposedAction) -> int:
        """Insert the proposal at once, untracked (nothing changes it later); its id."""
        ...


class SqlProposals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, proposal_id: int) -> ProposedAction | None:
        return await self._session.get(ProposedAction, proposal_id)

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        return await self._session.get(ProposedAction, proposal_id, with_for_update=True)

    async def add(self, proposal: ProposedAction) -> int:
        self._session.add(proposal)
        await self._session.flush()
        return proposal.id

    async def insert(self, proposal: ProposedAction) -> int:
        stmt = insert_of(proposal).returning(ProposedAction.id)
        return (await self._session.execute(stmt)).scalar_one()


class Pushes(Protocol):
    """`ns_pending_pushes` (ns-pusher works them; the runner inserts and reads them)."""

    async def get(self, push_id: int) -> NsPendingPush | None:
        """The push, unlocked."""
        ...

    async def insert(self, push: NsPendingPush) -> int:
        """Insert the push at once; its id."""
        ...


class SqlPushes:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, push_id: int) -> NsPendingPush | None:
        return await self._session.get(NsPendingPush, push_id)

    async def insert(self, push: NsPendingPush) -> int:
        stmt = insert_of(push).returning(NsPendingPush.id)
        return (await self._session.execute(stmt)).scalar_one()


class Checks(Protocol):
    """`workflow_verify_results`: a run's verify checks."""

    def add(self, check: VerifyResult) -> None:
        """Add a new check to the transaction."""
        ...

    async def find(self, run_id: uuid.UUID, check_name: str) -> VerifyResult | None:
        """The run's check of that name."""
        ...

    async def reverify(
        self, run_id: uuid.UUID, check_name: str, deadline_at: datetime
    ) -> int | None:
        """Queue a decided check again as its next round (`verify_rounds.reverify`)."""
        ...


class SqlChecks:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, check: VerifyResult) -> None:
        self._session.add(check)

    async def find(self, run_id: uuid.UUID, check_name: str) -> VerifyResult | None:
        return (
            await self._session.scalars(
                select(VerifyResult).where(
                    VerifyResult.run_id == run_id, VerifyResult.check_name == check_name
                )
            )
        ).one_or_none()

    async def reverify(
        self, run_id: uuid.UUID, check_name: str, deadline_at: datetime
    ) -> int | None:
        return await verify_rounds.reverify(self._session, run_id, check_name, deadline_at)


class Repairs(Protocol):
    """`verify_repairs`: one per failing round of a check with a `repair:`."""

    async def add_if_new(self, repair: VerifyRepair) -> VerifyRepair | None:
        """Insert the repair unless its round has one; the stored row, or None."""
        ...

    async def note_reverified(
        self, run_id: uuid.UUID, check_name: str, repaired_round: int, status: str
    ) -> None:
        """Record the re-verification's `status` on the done, unverified repair of the
        check's `repaired_round`, if there is one."""
        ...

    async def lock_of_proposal(self, proposal_id: int) -> VerifyRepair | None:
        """The repair proposed as `proposal_id`, locked."""
        ...

    async def lock(self, repair_id: int) -> VerifyRepair | None:
        """The repair, locked."""
        ...


class SqlRepairs:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(self, repair: VerifyRepair) -> VerifyRepair | None:
        inserted = await self._session.scalars(
            insert_of(repair)
            .on_conflict_do_nothing(constraint="uq_verify_repairs_round")
            .returning(VerifyRepair)
        )
        return inserted.one_or_none()

    async def note_reverified(
        self, run_id: uuid.UUID, check_name: str, repaired_round: int, status: str
    ) -> None:
        await self._session.execute(
            update(VerifyRepair)
            .where(
                VerifyRepair.run_id == run_id,
                VerifyRepair.check_name == check_name,
                VerifyRepair.round == repaired_round,
                VerifyRepair.status == RepairStatus.DONE,
                VerifyRepair.verified.is_(None),
            )
            .values(verified=status, updated_at=func.now())
            .execution_options(synchronize_session=False)
        )

    async def lock_of_proposal(self, proposal_id: int) -> VerifyRepair | None:
        return (
            await self._session.scalars(
                select(VerifyRepair)
                .where(VerifyRepair.proposal_id == proposal_id)
                .with_for_update()
            )
        ).one_or_none()

    async def lock(self, repair_id: int) -> VerifyRepair | None:
        return await self._session.get(VerifyRepair, repair_id, with_for_update=True)


class ContractSql(Protocol):
    """The contract's own statements (`db_write` steps, object queries, write-backs), bound
    and run in the run's transaction."""

    async def rows(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows a query returns."""
        ...

    async def one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The one row a statement returns (raises unless exactly one)."""
        ...

    async def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        """Run a statement, ignoring what it returns."""
        ...


class SqlContractSql:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def rows(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        rows = (await self._session.execute(text(sql), params)).mappings()
        return [dict(row) for row in rows]

    async def one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return dict((await self._session.execute(text(sql), params)).mappings().one())

    async def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        await self._session.execute(text(sql), params)
