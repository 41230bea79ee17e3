"""An in-memory unit of work for fast use-case tests (the cosmicpython fake).

A use case types against its service's unit-of-work protocol (`cascade.shared.db.uow`); a
test hands it a `FakeUnitOfWork` subclass holding fake repositories, then asserts on what
was added, staged and committed. The fakes of libs/shared's repositories are here; each
service's are in its `tests/fakes.py`. A savepoint that raises restores what the fakes held
before it (their lists and dicts, shallowly: a row changed in place stays changed).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Generic, TypeVar

from cascade.shared.db.models import IntakeRequest
from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs import FencedOutcome

T = TypeVar("T")


class FakeRepository:
    """Base of a fake repository: its state is its attributes (lists, dicts, sets)."""

    def snapshot(self) -> dict[str, Any]:
        """A shallow copy of the state, for a savepoint."""
        return {name: copy.copy(value) for name, value in vars(self).items()}

    def restore(self, state: dict[str, Any]) -> None:
        """Back to a `snapshot`."""
        vars(self).update(state)


class FakeRows(FakeRepository, Generic[T]):
    """Fake `cascade.shared.db.rows.Rows`: what was added, in order."""

    def __init__(self) -> None:
        self.added: list[T] = []

    def add(self, row: T) -> None:
        self.added.append(row)


class FakeInbox(FakeRepository):
    """Fake `cascade.shared.inbox.Inbox`: the (consumer, key) pairs claimed."""

    def __init__(self, *claimed: tuple[str, str]) -> None:
        self.claimed: set[tuple[str, str]] = set(claimed)
        self.released: list[tuple[str, str]] = []

    async def claim(self, consumer: str, idempotency_key: str) -> bool:
        if (consumer, idempotency_key) in self.claimed:
            return False
        self.claimed.add((consumer, idempotency_key))
        return True

    async def release(self, consumer: str, idempotency_key: str) -> None:
        self.claimed.discard((consumer, idempotency_key))
        self.released.append((consumer, idempotency_key))


class FakeUnitOfWork:
    """The transaction's side of a unit of work; a service's fake adds its repositories as
    attributes (any `FakeRepository` attribute takes part in savepoints)."""

    def __init__(self) -> None:
        self.staged: list[tuple[str, Envelope]] = []
        self.committed = False
        self.inbox = FakeInbox()
        self._after_commit: list[Callable[[], None]] = []

    def stage(self, topic: str, envelope: Envelope) -> None:
        self.staged.append((topic, envelope))

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        staged = list(self.staged)
        kept = {name: repo.snapshot() for name, repo in self._repositories().items()}
        try:
            yield
        except BaseException:
            self.staged = staged
            for name, state in kept.items():
                getattr(self, name).restore(state)
            raise

    async def flush(self) -> None:
        pass

    async def commit(self) -> None:
        self.committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def topics(self) -> list[str]:
        """The topics of the staged messages, in order."""
        return [topic for topic, _ in self.staged]

    def staged_on(self, topic: str) -> list[Envelope]:
        """The envelopes staged on `topic`, in order."""
        return [envelope for t, envelope in self.staged if t == topic]

    def _repositories(self) -> dict[str, FakeRepository]:
        return {n: v for n, v in vars(self).items() if isinstance(v, FakeRepository)}


class FakeIntakeRequests(FakeRepository):
    """Fake `cascade.shared.run_requests.staging.IntakeRequests`: the claimed keys."""

    def __init__(self) -> None:
        self.rows: dict[str, IntakeRequest] = {}

    async def add_if_new(self, request: IntakeRequest) -> bool:
        if request.idempotency_key in self.rows:
            return False
        self.rows[request.idempotency_key] = request
        return True

    async def get(self, idempotency_key: str) -> IntakeRequest:
        return self.rows[idempotency_key]


class FakeRunRequestWork(FakeUnitOfWork):
    """Fake `cascade.shared.run_requests.staging.RunRequestWork`."""

    def __init__(self) -> None:
        super().__init__()
        self.intake_requests = FakeIntakeRequests()


class FakeFencedOutcomes(FakeRepository):
    """Fake `cascade.shared.leased_jobs.FencedOutcomes`: the claims still running (job id ->
    the lease this claim set) and what the records whose fence held wrote."""

    def __init__(self) -> None:
        self.running: dict[int, datetime] = {}
        self.written: dict[int, dict[str, Any]] = {}
        self.staged: list[tuple[str, Envelope]] = []
        self.also: list[tuple[str, dict[str, Any]]] = []

    async def record(self, outcome: FencedOutcome) -> bool:
        if self.running.get(outcome.job_id) != outcome.lease_until:
            return False
        # Every outcome takes the row out of the running status: a second record is fenced out.
        del self.running[outcome.job_id]
        self.written[outcome.job_id] = dict(outcome.values)
        self.staged.extend(outcome.staged)
        self.also.extend((sql, dict(params)) for sql, params in outcome.also)
        return True

    def topics(self) -> list[str]:
        """The topics of the staged messages, in order."""
        return [topic for topic, _ in self.staged]
