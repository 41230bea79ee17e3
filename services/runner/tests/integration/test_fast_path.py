"""The runner's path from approval to completion without its step poller: steps run in the
transaction that made them due, replicas share due runs with SKIP LOCKED, and a crash around
the combined approval/fan-out commit leaves all of it or none of it."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import (
    answer_push,
    awaiting_run,
    count_rows,
    decide_on_wire,
    run_status,
    staged_push,
    terminal_events,
    wait_status,
)
from cascade.runner.executor import StepExecutor
from cascade.runner.runstate import RunnerDeps, begin_fanout, run_values
from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import load_contracts
from cascade.shared.db.models import (
    Customer,
    CustomerProgram,
    NsPendingPush,
    OutboxMessage,
    ProposedAction,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.proposals.context_reader import ContextReader
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Fastpath Ltd",
    "contact_email": "ops@fastpath.example",
    "billing_address": "2 Side St",
    "pricing_tier": "gold",
}
AN_HOUR_MS = "3600000"


async def step_attempts(factory: Factory, run_id: uuid.UUID) -> dict[str, tuple[str, int]]:
    async with factory() as session:
        rows = await session.scalars(
            select(WorkflowRunStep).where(WorkflowRunStep.run_id == run_id)
        )
        return {r.step_id: (r.status, r.attempts) for r in rows}


async def tier_programs(factory: Factory, tier: str) -> int:
    """How many programs assign_programs gives a customer of `tier` (the seed's data)."""
    async with factory() as session:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM programs AS p JOIN pricing_tier_programs AS t"
                    " ON t.program_id = p.id WHERE t.pricing_tier = :tier AND p.active"
                ),
                {"tier": tier},
            )
            or 0
        )


async def email_drafts(factory: Factory) -> int:
    async with factory() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(ProposedAction)
                .where(ProposedAction.action_type == "propose_email_to_customer")
            )
            or 0
        )


async def test_an_approved_run_completes_with_the_step_poller_an_hour_away(
    settings: Settings, session_factory: Factory, start_service: StartService
) -> None:
    start_service("runner", {"CASCADE_RUNNER_POLL_MS": AN_HOUR_MS})
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)

    # The approval's own transaction ran write_d1, assign_programs and staged the push.
    push = await staged_push(session_factory, run_id, within=30)
    programs = await tier_programs(session_factory, "gold")
    assert programs > 0
    assert await count_rows(session_factory, Customer) == 1
    assert await count_rows(session_factory, CustomerProgram) == programs
    await answer_push(session_factory, settings, push, applied=True)
    # The push result's transaction drafted the welcome email and finished the run.
    await wait_status(session_factory, run_id, "completed", within=30)
    assert await email_drafts(session_factory) == 1
    assert await step_attempts(session_factory, run_id) == {
        "write_d1": ("done", 1),
        "write_ns": ("done", 1),
        "assign_programs": ("done", 1),
        "first_quote_context": ("done", 1),
        "welcome_email": ("done", 1),
    }
    await eventually(lambda: one_end(settings, run_id), within=30)


async def one_end(settings: Settings, run_id: uuid.UUID) -> bool:
    return [e.type for e in await terminal_events(settings, run_id)] == ["workflow.completed"]


async def _running_runs(
    settings: Settings, factory: Factory, deps: RunnerDeps, n: int
) -> list[uuid.UUID]:
    """`n` approved runs whose fan-out is due and untouched, as a crash right after the
    approval would leave them (the step rows as `begin_fanout` makes them)."""
    contract = deps.contracts["new_customer"]
    now = datetime.now(UTC)
    run_ids = []
    async with factory() as session, session.begin():
        for i in range(n):
            run = WorkflowRun(
                run_id=uuid.uuid4(),
                workflow_type="new_customer",
                contract_version=contract.version,
                status="awaiting_approval",
                inputs={
                    **INPUTS,
                    "company_name": f"Replica Co {i}",
                    "contact_email": f"ops{i}@replica.example",
                },
                requested_at=now,
            )
            values = run_values(contract, run)
            run.context = to_jsonable(await deps.context.load(contract.context, values))
            session.add(run)
            session.add_all(begin_fanout(run, contract, now).values())
            run_ids.append(run.run_id)
    return run_ids


def _deps(settings: Settings, session_factory: Factory) -> RunnerDeps:
    return RunnerDeps(
        contracts=load_contracts(settings.contracts_dir),
        context=ContextReader(session_factory, settings.context_timeout_ms),
        topic_prefix=settings.topic_prefix,
        verify_window_scale=1.0,
        clock=lambda: datetime.now(UTC),
        rng=random.Random(1),
    )


async def test_two_executors_share_due_runs_and_never_run_a_step_twice(
    settings: Settings, session_factory: Factory
) -> None:
    runs = 24
    deps = _deps(settings, session_factory)
    await _running_runs(settings, session_factory, deps, runs)
    programs = await tier_programs(session_factory, "gold")
    one, two = (StepExecutor(deps, session_factory, 3600, concurrency=4) for _ in range(2))
    driven = [0, 0]

    async def drive(index: int, executor: StepExecutor) -> None:
        while (ran := await executor.run_due()) > 0:
            driven[index] += ran

    await asyncio.gather(drive(0, one), drive(1, two))

    assert all(driven), f"both executors make progress: {driven}"
    assert sum(driven) == runs, "each run was driven once: its steps all ran in that transaction"
    async with session_factory() as session:
        steps = (await session.scalars(select(WorkflowRunStep))).all()
        pushes = await session.scalar(select(func.count()).select_from(NsPendingPush))
        records = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic.like("%ns.push"))
        )
    by_step: dict[str, set[tuple[str, int]]] = {}
    for row in steps:
        by_step.setdefault(row.step_id, set()).add((row.status, row.attempts))
    assert by_step == {
        "write_d1": {("done", 1)},
        "assign_programs": {("done", 1)},
        "write_ns": {("awaiting_result", 1)},
        "first_quote_context": {("waiting_needs", 0)},
        "welcome_email": {("waiting_needs", 0)},
    }
    assert await count_rows(session_factory, Customer) == runs
    assert await count_rows(session_factory, CustomerProgram) == programs * runs
    assert pushes == runs
    assert records == runs


async def test_a_failing_effect_undoes_the_others_and_is_recorded_as_its_own_attempt(
    settings: Settings, session_factory: Factory
) -> None:
    deps = _deps(settings, session_factory)
    (run_id,) = await _running_runs(settings, session_factory, deps, 1)
    # Someone took the run's external id: write_d1 violates a constraint (final at once).
    async with session_factory() as session, session.begin():
        session.add(
            Customer(
                companyname="Squatter",
                companyname_normalized="squatter",
                email="squatter@else.example",
                external_id=f"cascade-customer-{run_id}",
            )
        )
    executor = StepExecutor(deps, session_factory, 3600)

    assert await executor.run_due() == 1
    assert await executor.run_due() == 0, "nothing left due"

    assert await run_status(session_factory, run_id) == "failed"
    assert await step_attempts(session_factory, run_id) == {
        "write_d1": ("failed", 1),
        "write_ns": ("skipped", 0),
        "assign_programs": ("skipped", 0),
        "first_quote_context": ("skipped", 0),
        "welcome_email": ("skipped", 0),
    }
    assert await count_rows(session_factory, Customer) == 1, "only the squatter"
    assert await count_rows(session_factory, NsPendingPush, run_id) == 0
    async with session_factory() as session:
        topics = (await session.scalars(select(OutboxMessage.topic))).all()
    assert sorted(t.rsplit(".", 1)[-1] for t in topics if "ns.push" in t or "alert" in t) == [
        "alert"
    ]


@pytest.mark.parametrize(
    ("crash_at", "written_before_restart"),
    [
        # The combined approval/fan-out transaction, killed before its commit: nothing of it.
        ("runner_step_write_ns_before_commit", False),
        # ... killed right after its commit, before the offset commit: all of it.
        ("runner_step_assign_programs_after_commit", True),
    ],
)
async def test_a_crash_around_the_approval_commit_leaves_all_or_nothing(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    crash_at: str,
    written_before_restart: bool,
) -> None:
    runner = start_service("runner", {"CASCADE_CRASH_AT": crash_at})
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    assert runner.wait_exit(timeout=60) == -9, "the runner must have died at the crash point"

    expected = 1 if written_before_restart else 0
    programs = await tier_programs(session_factory, "gold")
    assert await count_rows(session_factory, Customer) == expected
    assert await count_rows(session_factory, CustomerProgram) == programs * expected
    assert await count_rows(session_factory, NsPendingPush, run_id) == expected
    assert (
        await count_rows(session_factory, WorkflowRunStep, run_id) == 5 * expected
    )  # the five fan-out steps of new_customer
    assert await run_status(session_factory, run_id) == (
        "running" if written_before_restart else "awaiting_approval"
    )

    # The approval is redelivered (its offset was never committed); the inbox makes the
    # second delivery a no-op when the first one committed. No poll needed either way.
    start_service("runner", {"CASCADE_RUNNER_POLL_MS": AN_HOUR_MS})
    push = await staged_push(session_factory, run_id, within=60)
    await answer_push(session_factory, settings, push, applied=True)
    await wait_status(session_factory, run_id, "completed", within=60)

    assert await count_rows(session_factory, Customer) == 1
    assert await count_rows(session_factory, CustomerProgram) == programs
    assert await count_rows(session_factory, NsPendingPush, run_id) == 1
    assert await email_drafts(session_factory) == 1
    assert {s: a for s, (_, a) in (await step_attempts(session_factory, run_id)).items()} == {
        "write_d1": 1,
        "write_ns": 1,
        "assign_programs": 1,
        "first_quote_context": 1,
        "welcome_email": 1,
    }
    await eventually(lambda: one_end(settings, run_id), within=30)
