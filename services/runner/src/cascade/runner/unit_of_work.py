"""The runner's unit of work: what its use cases may touch, and the SQL one over a session.

A handler gets the consumer's open `UnitOfWork` and hands its use case `SqlRunnerWork(uow)`;
the pollers open their own. The fast tests hand in `tests/fakes.py`'s `FakeRunnerWork`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from cascade.runner.finish import EndWork
from cascade.runner.object_jobs import ObjectPuts, SqlObjectPuts
from cascade.runner.repositories import (
    Checks,
    ContractSql,
    Proposals,
    Pushes,
    Repairs,
    Runs,
    SqlChecks,
    SqlContractSql,
    SqlProposals,
    SqlPushes,
    SqlRepairs,
    SqlRuns,
)
from cascade.shared.db.models import EventRecord, ReflexionEntry, WorkflowRunLog
from cascade.shared.db.rows import Rows, SqlRows
from cascade.shared.db.uow import BoundUnitOfWork, UnitOfWork
from cascade.shared.inbox import Inbox


class RunnerWork(EndWork, Protocol):
    """A runner use case's transaction: a run's rows and everything its steps write."""

    proposals: Proposals
    pushes: Pushes
    repairs: Repairs
    object_puts: ObjectPuts
    contract_sql: ContractSql
    """The contract's own statements, in the run's transaction."""
    inbox: Inbox
    """Where an ignored event's claim is released (`ignoring.py`)."""

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once the transaction committed; never on rollback."""
        ...

    def savepoint(self) -> AbstractAsyncContextManager[object]:
        """What is done inside is undone when it raises; the transaction goes on."""
        ...

    async def flush(self) -> None:
        """Write what is pending now, so that what fails, fails here."""
        ...


class SqlRunnerWork(BoundUnitOfWork):
    """`RunnerWork` in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        session = uow.session
        self.runs: Runs = SqlRuns(session)
        self.run_logs: Rows[WorkflowRunLog] = SqlRows(session)
        self.reflexions: Rows[ReflexionEntry] = SqlRows(session)
        self.events: Rows[EventRecord] = SqlRows(session)
        self.checks: Checks = SqlChecks(session)
        self.proposals: Proposals = SqlProposals(session)
        self.pushes: Pushes = SqlPushes(session)
        self.repairs: Repairs = SqlRepairs(session)
        self.object_puts: ObjectPuts = SqlObjectPuts(session)
        self.contract_sql: ContractSql = SqlContractSql(session)
