"""The runner's unit of work in memory (`unit_of_work.RunnerWork`), and deps around it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import yaml

from cascade.devstack.fake_uow import FakeRepository, FakeRows, FakeUnitOfWork
from cascade.devstack.wire import decision_of
from cascade.runner.runstate import RunnerDeps
from cascade.runner.start import start_run
from cascade.shared.contract import ContextQuery, Contract, load_contract, parse_contract
from cascade.shared.db.models import (
    EventRecord,
    NsPendingPush,
    ObjectPut,
    ProposedAction,
    ReflexionEntry,
    VerifyRepair,
    VerifyResult,
    WorkflowRun,
    WorkflowRunLog,
    WorkflowRunStep,
)
from cascade.shared.db.statuses import ObjectPutStatus, RepairStatus
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.topics import Topic
from cascade.shared.verify_rounds import DECIDED

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
PREFIX = "t."


class FakeRuns(FakeRepository):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, WorkflowRun] = {}
        self.step_rows: dict[uuid.UUID, dict[str, WorkflowRunStep]] = {}
        self.locked: list[uuid.UUID] = []

    async def add_if_new(self, run: WorkflowRun) -> WorkflowRun | None:
        if run.run_id in self.rows:
            return None
        self.rows[run.run_id] = run
        return run

    async def lock(self, run_id: uuid.UUID, skip_locked: bool = False) -> WorkflowRun | None:
        self.locked.append(run_id)
        return self.rows.get(run_id)

    async def steps(self, run_id: uuid.UUID) -> dict[str, WorkflowRunStep]:
        return dict(self.step_rows.get(run_id, {}))

    def add_steps(self, rows: Iterable[WorkflowRunStep]) -> None:
        for row in rows:
            self.step_rows.setdefault(row.run_id, {})[row.step_id] = row


class _ById(FakeRepository):
    """Rows with an identity column: ids handed out in order, as PostgreSQL would."""

    def __init__(self) -> None:
        self.rows: dict[int, Any] = {}

    def _store(self, row: Any) -> int:
        row.id = row.id or len(self.rows) + 1
        self.rows[row.id] = row
        return int(row.id)


class FakeProposals(_ById):
    async def get(self, proposal_id: int) -> ProposedAction | None:
        return self.rows.get(proposal_id)

    async def lock(self, proposal_id: int) -> ProposedAction | None:
        return self.rows.get(proposal_id)

    async def add(self, proposal: ProposedAction) -> int:
        return self._store(proposal)

    async def insert(self, proposal: ProposedAction) -> int:
        return self._store(proposal)


class FakePushes(_ById):
    async def get(self, push_id: int) -> NsPendingPush | None:
        return self.rows.get(push_id)

    async def insert(self, push: NsPendingPush) -> int:
        return self._store(push)


class FakeChecks(FakeRepository):
    def __init__(self) -> None:
        self.added: list[VerifyResult] = []

    def add(self, check: VerifyResult) -> None:
        self.added.append(check)

    async def find(self, run_id: uuid.UUID, check_name: str) -> VerifyResult | None:
        found = [c for c in self.added if (c.run_id, c.check_name) == (run_id, check_name)]
        return found[0] if found else None

    async def reverify(
        self, run_id: uuid.UUID, check_name: str, deadline_at: datetime
    ) -> int | None:
        check = await self.find(run_id, check_name)
        if check is None or check.status not in DECIDED:
            return None
        check.status, check.round, check.deadline_at = "pending", check.round + 1, deadline_at
        return check.round


class FakeRepairs(_ById):
    async def add_if_new(self, repair: VerifyRepair) -> VerifyRepair | None:
        key = (repair.run_id, repair.check_name, repair.round)
        if any((r.run_id, r.check_name, r.round) == key for r in self.rows.values()):
            return None
        self._store(repair)
        return repair

    async def note_reverified(
        self, run_id: uuid.UUID, check_name: str, repaired_round: int, status: str
    ) -> None:
        for r in self.rows.values():
            ours = (r.run_id, r.check_name, r.round) == (run_id, check_name, repaired_round)
            if ours and r.status == RepairStatus.DONE and r.verified is None:
                r.verified = status

    async def lock_of_proposal(self, proposal_id: int) -> VerifyRepair | None:
        return next((r for r in self.rows.values() if r.proposal_id == proposal_id), None)

    async def lock(self, repair_id: int) -> VerifyRepair | None:
        return self.rows.get(repair_id)


class FakeObjectPuts(_ById):
    def __init__(self) -> None:
        super().__init__()
        self.fenced: list[tuple[int, Mapping[str, Any]]] = []

    async def add_if_new(self, put: ObjectPut) -> int:
        for row in self.rows.values():
            if (row.run_id, row.step_id) == (put.run_id, put.step_id):
                return int(row.id)
        return self._store(put)

    async def reopen(
        self, run_id: uuid.UUID, step_id: str, repair_id: int, max_attempts: int
    ) -> int | None:
        for row in self.rows.values():
            finished = (ObjectPutStatus.STORED, ObjectPutStatus.FAILED)
            if (row.run_id, row.step_id) == (run_id, step_id) and row.status in finished:
                row.status, row.repair_id = ObjectPutStatus.QUEUED, repair_id
                return int(row.id)
        return None

    async def unstored(self, repair_id: int) -> int:
        return sum(
            1
            for row in self.rows.values()
            if row.repair_id == repair_id and row.status != ObjectPutStatus.STORED
        )

    async def write_fenced(
        self, job_id: int, lease_until: datetime, values: Mapping[str, Any]
    ) -> bool:
        row = self.rows.get(job_id)
        if row is None or (row.status, row.lease_until) != (ObjectPutStatus.PUTTING, lease_until):
            return False
        row.status = values["status"]
        self.fenced.append((job_id, values))
        return True


class FakeContractSql(FakeRepository):
    """Answers by a fragment of the statement; `fail_on` makes a statement raise."""

    def __init__(self, answers: Mapping[str, list[dict[str, Any]]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.executed: list[tuple[str, Mapping[str, Any]]] = []
        self.fail_on: str | None = None

    def _run(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if self.fail_on is not None and self.fail_on in sql:
            raise RuntimeError(f"statement failed: {self.fail_on}")
        self.executed.append((sql, params))
        return next((rows for part, rows in self.answers.items() if part in sql), [])

    async def rows(self, sql: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return self._run(sql, params)

    async def one(self, sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
        (row,) = self._run(sql, params)
        return row

    async def execute(self, sql: str, params: Mapping[str, Any]) -> None:
        self._run(sql, params)


class FakeEvents(FakeRows[EventRecord]):
    async def add_if_new(self, event: EventRecord) -> bool:
        if any(e.idempotency_key == event.idempotency_key for e in self.added):
            return False
        self.add(event)
        return True


class FakeRunnerWork(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.runs = FakeRuns()
        self.run_logs: FakeRows[WorkflowRunLog] = FakeRows()
        self.reflexions: FakeRows[ReflexionEntry] = FakeRows()
        self.events = FakeEvents()
        self.checks = FakeChecks()
        self.proposals = FakeProposals()
        self.pushes = FakePushes()
        self.repairs = FakeRepairs()
        self.object_puts = FakeObjectPuts()
        self.contract_sql = FakeContractSql({"INSERT INTO customers": [{"id": 7}]})


class FakeContext:
    """`RunContext` without a database: every query answers from `values`."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)
        self.loads = 0

    async def load(
        self, queries: Sequence[ContextQuery], values: Mapping[str, object]
    ) -> dict[str, Any]:
        self.loads += 1
        return {q.name: self.values.get(q.name) for q in queries}

    async def prior_reflexions(
        self, subject_key: str | None, email_domain: str | None
    ) -> list[dict[str, Any]]:
        return []


NEW_CUSTOMER_CONTEXT = {
    "existing_by_name": None,
    "existing_by_email": None,
    "default_terms": 1,
    "requested_terms": None,
    "terms_id": 1,
    "terms_name": "Net 30",
    "default_programs": [{"id": 3, "name": "Loyalty"}],
}
INPUTS = {
    "company_name": "Acme Tools",
    "contact_email": "ops@acme.example",
    "billing_address": "1 Main St",
}


def new_customer(approval: bool = True) -> Contract:
    """The repository's contract; without `approval`, without its gate (no proposal)."""
    if approval:
        return load_contract(CONTRACTS / "new_customer.yaml")
    document = yaml.safe_load((CONTRACTS / "new_customer.yaml").read_text(encoding="utf-8"))
    del document["hitl"]
    document["risk_level"] = 1
    return parse_contract(yaml.safe_dump(document, sort_keys=False), "new_customer.yaml")


def deps(contract: Contract | None = None, **context: Any) -> RunnerDeps:
    """Deps of a runner that knows `contract` (new_customer) and answers its context."""
    contract = contract or new_customer()
    return RunnerDeps(
        contracts={contract.workflow_type: contract},
        context=FakeContext({**NEW_CUSTOMER_CONTEXT, **context}),
        topic_prefix=PREFIX,
        verify_window_scale=1.0,
        clock=lambda: NOW,
        rng=random.Random(1),
    )


def context_of(runner: RunnerDeps) -> FakeContext:
    """The stand-in `deps` gave `runner` to read its context with."""
    assert isinstance(runner.context, FakeContext)
    return runner.context


RUN = uuid.UUID("7a1c0000-0000-4000-8000-000000000001")


def requested(
    inputs: Mapping[str, Any] | None = None, workflow_type: str = "new_customer"
) -> Envelope:
    """The `workflow.requested` of run RUN."""
    data = {"workflow_type": workflow_type, "inputs": dict(inputs or INPUTS), "started_by": "api"}
    return new_envelope(Topic.WORKFLOW_REQUESTED, "cascade.intake", RUN, data)


async def awaiting_approval(uow: FakeRunnerWork, runner: RunnerDeps) -> ProposedAction:
    """Run RUN started and waiting at its gate; its proposal."""
    await start_run(runner, requested(), uow)
    uow.staged.clear()
    (proposal,) = uow.proposals.rows.values()
    return cast(ProposedAction, proposal)


def decide(proposal: ProposedAction, status: str, reason: str | None = None) -> Envelope:
    """What approvals writes and publishes for Mike's decision on `proposal`."""
    proposal.status, proposal.decided_by, proposal.decision_reason = status, "mike", reason
    data = decision_of(proposal, reason=reason)
    topic = Topic.PROPOSAL_APPROVED if status == "approved" else Topic.PROPOSAL_REJECTED
    return new_envelope(topic, "cascade.approvals", proposal.run_id, data, str(proposal.id))
