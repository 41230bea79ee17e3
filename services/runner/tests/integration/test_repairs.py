"""Repairs of failed checks, on the real PostgreSQL: one repair per failing round however
often the failure arrives, nothing for a result the check's row contradicts, and a rejected
repair is recorded without touching the run or its object."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.runner.agreement import Disagreement
from cascade.runner.decisions import on_rejected
from cascade.runner.repairs import on_verify_result
from cascade.runner.runstate import RunnerDeps
from cascade.runner.unit_of_work import SqlRunnerWork
from cascade.shared.contract import load_contracts
from cascade.shared.db.models import (
    ObjectPut,
    ProposedAction,
    VerifyRepair,
    VerifyResult,
    WorkflowRun,
)
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.payloads import ProposalDecision, VerifyResultEvent
from cascade.shared.proposals.context_reader import ContextReader
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
CHECK = "first_quote_context_stored"
SHA = "ab" * 32
KEY = "customers/x/first-quote-context/v1.json"


def deps(settings: Settings, factory: Factory) -> RunnerDeps:
    return RunnerDeps(
        contracts=load_contracts(settings.contracts_dir),
        context=ContextReader(factory, settings.context_timeout_ms),
        topic_prefix=settings.topic_prefix,
        verify_window_scale=1.0,
        clock=lambda: datetime.now(UTC),
        rng=random.Random(1),
    )


async def failed_check(factory: Factory) -> uuid.UUID:
    """A completed new_customer run whose bundle check failed in round 1 (the object gone)."""
    run_id = uuid.uuid4()
    now = datetime.now(UTC)
    async with factory() as session, session.begin():
        session.add(
            WorkflowRun(
                run_id=run_id, workflow_type="new_customer", status="completed", inputs={},
                requested_at=now, title="Repair Works",
            )
        )  # fmt: skip
        await session.flush()
        session.add(
            VerifyResult(
                run_id=run_id, check_name=CHECK, kind="object", status="fail", round=1,
                spec={"kind": "object", "key": KEY, "sha256": SHA, "schema_version": 1},
                due_at=now, attempts=3,
                detail={"reason": f"object {KEY} is missing from the object store", "key": KEY},
            )
        )  # fmt: skip
        session.add(
            ObjectPut(
                run_id=run_id, step_id="first_quote_context", object_key=KEY, body=b"{}",
                sha256=SHA, content_type="application/json", status="stored", attempts=1,
            )
        )  # fmt: skip
    return run_id


def result(run_id: uuid.UUID, status: str, round_number: int, key: str = "") -> Envelope:
    event = VerifyResultEvent(
        check_name=CHECK, kind="object", status=status, attempts=3,  # type: ignore[arg-type]
        reason="missing", round=round_number,
    )  # fmt: skip
    envelope = new_envelope(
        Topic.VERIFY_RESULT, "cascade.verifier", run_id, event.model_dump(mode="json"), key
    )
    return envelope


async def handle(d: RunnerDeps, factory: Factory, envelope: Envelope) -> Disagreement | None:
    async with UnitOfWork(factory) as uow:
        outcome = await on_verify_result(d, envelope, SqlRunnerWork(uow))
        await uow.commit()
    return outcome


async def repairs_of(factory: Factory, run_id: uuid.UUID) -> list[tuple[VerifyRepair, str]]:
    async with factory() as session:
        rows = (
            await session.execute(
                select(VerifyRepair, ProposedAction.action_type)
                .join(ProposedAction, ProposedAction.id == VerifyRepair.proposal_id)
                .where(VerifyRepair.run_id == run_id)
            )
        ).all()
    return [(row[0], row[1]) for row in rows]


async def test_a_failure_delivered_twice_stages_one_repair_proposal_with_its_drift(
    settings: Settings, session_factory: Factory
) -> None:
    d = deps(settings, session_factory)
    run_id = await failed_check(session_factory)
    # The same failure redelivered, and once more under another key (republished).
    for key in (f"{CHECK}:r1", f"{CHECK}:r1", "republished"):
        assert await handle(d, session_factory, result(run_id, "fail", 1, key)) is None
    staged = await repairs_of(session_factory, run_id)
    assert len(staged) == 1, "one repair per failing round"
    repair, action = staged[0]
    assert (repair.status, repair.round, repair.rerun) == ("proposed", 1, ["first_quote_context"])
    assert action == f"repair_check:{CHECK}:1"
    assert repair.drift["expected"]["sha256"] == SHA
    assert "missing" in repair.drift["reason"]
    async with session_factory() as session:
        proposal = await session.get(ProposedAction, repair.proposal_id)
        put = (await session.scalars(select(ObjectPut).where(ObjectPut.run_id == run_id))).one()
    assert proposal is not None
    assert (proposal.status, proposal.approver) == ("pending", "mike")
    assert put.status == "stored", "nothing runs before Mike approves"


async def test_a_result_the_check_row_contradicts_stages_nothing(
    settings: Settings, session_factory: Factory
) -> None:
    d = deps(settings, session_factory)
    run_id = await failed_check(session_factory)
    forged = await handle(d, session_factory, result(run_id, "fail", 2))
    assert isinstance(forged, Disagreement)
    assert "round 1" in forged.detail
    async with session_factory() as session, session.begin():
        await session.execute(
            update(VerifyResult).where(VerifyResult.run_id == run_id).values(status="pass")
        )
    assert isinstance(await handle(d, session_factory, result(run_id, "fail", 1)), Disagreement)
    assert await repairs_of(session_factory, run_id) == []


async def test_a_rejected_repair_is_recorded_and_changes_nothing_else(
    settings: Settings, session_factory: Factory
) -> None:
    d = deps(settings, session_factory)
    run_id = await failed_check(session_factory)
    await handle(d, session_factory, result(run_id, "fail", 1))
    [(repair, action)] = await repairs_of(session_factory, run_id)
    async with session_factory() as session, session.begin():
        proposal = await session.get(ProposedAction, repair.proposal_id)
        assert proposal is not None
        proposal.status, proposal.decided_by = "rejected", "mike"
        proposal.decision_reason = "the bundle is obsolete"
        decision = ProposalDecision(
            proposal_id=proposal.id, action_type=action, version=proposal.version,
            payload_sha256=proposal.payload_sha256, decided_by="mike",
        )  # fmt: skip
    envelope = new_envelope(
        Topic.PROPOSAL_REJECTED, "cascade.approvals", run_id, decision.model_dump(mode="json")
    )
    async with UnitOfWork(session_factory) as uow:
        assert await on_rejected(d, envelope, SqlRunnerWork(uow)) is None
        await uow.commit()
    [(repair, _)] = await repairs_of(session_factory, run_id)
    assert (repair.status, repair.error) == ("rejected", "rejected by mike: the bundle is obsolete")
    async with session_factory() as session:
        run = await session.get(WorkflowRun, run_id)
        put = (await session.scalars(select(ObjectPut).where(ObjectPut.run_id == run_id))).one()
    assert run is not None
    assert run.status == "completed", "the run stays as it ended"
    assert (put.status, put.repair_id) == ("stored", None)
