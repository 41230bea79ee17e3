"""SQL statements, transactions and pool checkouts one new_customer run costs in the runner.

Drives the runner's own handlers in-process (the idempotent consumer around each, as the
runner subscribes them) on a fresh database, playing the other services' parts with a second
engine that is not counted: the approvals service's compare-and-set, ns-pusher's outcome on the
push row. After each handler the step executor is run round by round until a round finds
nothing (that last empty round is shown apart: it is what a poller costs per round, not per
run). Prints figures; no assertions.

    CASCADE_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python bench/runner_statements.py

Before/after: run the same file against another checkout's sources, e.g.
    git worktree add /tmp/cascade-main main
    PYTHONPATH=$(ls -d /tmp/cascade-main/{libs,services,tools}/*/src | paste -sd:) \\
        .venv/bin/python bench/runner_statements.py
(The pool's pre-ping, one extra round trip per checkout where `pool_pre_ping` is on, is not
a cursor statement: it shows in the checkouts column.)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import string
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import cascade.runner.executor as executor_module
from cascade.runner.runstate import RunnerDeps
from cascade.runner.subscribers import SUBSCRIPTIONS, _bound
from cascade.shared.consumer import ConsumerPolicy, IdempotentConsumer, RecordView
from cascade.shared.contract import load_contracts
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.db.models import NsPendingPush, ProposedAction, WorkflowRun
from cascade.shared.envelope import new_envelope
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.payloads import NsPushResult, ProposalDecision, WorkflowRequested
from cascade.shared.proposals.context_reader import ContextReader
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic

Factory = async_sessionmaker[AsyncSession]
ROOT = Path(__file__).resolve().parents[1]
INPUTS = {
    "billing_address": "1 Main St",
    "credit_limit": "2500.00",
    "pricing_tier": "gold",
}


class Tally:
    """Statements, commits, rollbacks and checkouts of one engine, by phase."""

    def __init__(self, show: str | None = None) -> None:
        self.phase = "setup"
        self.counts: dict[str, Counter[str]] = {}
        self.show = show
        self.shown: list[str] = []

    def add(self, what: str) -> None:
        self.counts.setdefault(self.phase, Counter())[what] += 1

    def add_ms(self, seconds: float) -> None:
        # Wall time in microseconds, so the Counter stays integral.
        self.counts.setdefault(self.phase, Counter())["us"] += int(seconds * 1e6)

    def _statement(self, _conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        self.add("statements")
        if self.show is not None and self.phase.startswith(self.show):
            self.shown.append(f"{self.phase}: {' '.join(sql.split())[:110]}")

    def attach(self, sync_engine: Any) -> None:
        event.listen(sync_engine, "before_cursor_execute", self._statement)
        event.listen(sync_engine, "commit", lambda *a: self.add("commits"))
        event.listen(sync_engine, "rollback", lambda *a: self.add("rollbacks"))
        event.listen(sync_engine.pool, "checkout", lambda *a: self.add("checkouts"))


async def fresh_database(base_url: str) -> str:
    name = f"bench_rs_{uuid.uuid4().hex[:10]}"
    url = make_url(base_url)
    admin = await asyncpg.connect(
        user=url.username, password=url.password, host=url.host, port=url.port, database="postgres"
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    target = url.set(database=name).render_as_string(False)
    await asyncio.to_thread(upgrade_to_head, target)
    return target


async def drop_database(url: str) -> None:
    u = make_url(url)
    admin = await asyncpg.connect(
        user=u.username, password=u.password, host=u.host, port=u.port, database="postgres"
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
    finally:
        await admin.close()


def build_deps(settings: Settings, factory: Factory) -> RunnerDeps:
    # Only the fields this checkout's RunnerDeps has (main's lacks the newer ones).
    names = {f.name for f in dataclasses.fields(RunnerDeps)}
    extra: dict[str, Any] = {"rng": random.Random(1)} if "rng" in names else {}
    return RunnerDeps(
        contracts=load_contracts(settings.contracts_dir),
        context=ContextReader(factory, settings.context_timeout_ms),
        topic_prefix="bench.",
        verify_window_scale=1.0,
        clock=lambda: datetime.now(UTC),
        **extra,
    )


def build_executor(deps: RunnerDeps, factory: Factory) -> Any:
    names = {f.name for f in dataclasses.fields(executor_module.StepExecutor)}
    extra: dict[str, Any] = {"rng": random.Random(1)} if "rng" in names else {}
    return executor_module.StepExecutor(deps=deps, session_factory=factory, poll_s=3600, **extra)


class Runner:
    """The runner's consumers, fed records directly."""

    def __init__(self, deps: RunnerDeps, factory: Factory) -> None:
        self.consumers = {
            topic: IdempotentConsumer(
                name, _bound(deps, name, topic, handler), factory, ConsumerPolicy()
            )
            for name, topic, handler, _quiet in SUBSCRIPTIONS
        }
        self.offset = 0

    async def deliver(
        self, topic: Topic, run_id: uuid.UUID, data: dict[str, Any], suffix: str = ""
    ) -> None:
        envelope = new_envelope(topic, "bench", run_id, data, key_suffix=suffix)
        self.offset += 1
        record = RecordView(str(topic), 0, self.offset, str(run_id), envelope.to_bytes())
        await self.consumers[topic].process(record)


async def one_run(i: int, runner: Runner, executor: Any, tally: Tally, outside: Factory) -> str:
    run_id = uuid.uuid4()

    async def phase(name: str, action: Callable[[], Awaitable[None]]) -> None:
        tally.phase = name
        started = time.perf_counter()
        await action()
        tally.add_ms(time.perf_counter() - started)
        tally.phase = f"{name}: executor rounds with work"
        while True:
            started = time.perf_counter()
            before = dict(tally.counts.get(tally.phase, Counter()))
            if await executor.run_due() == 0:
                # The round that found nothing is the poller's idle cost, not this run's.
                idle = Counter(tally.counts.get(tally.phase, Counter()))
                idle.subtract(before)
                tally.counts[tally.phase] = Counter(before)
                idle["rounds"] = 1
                tally.counts.setdefault("(one idle executor round)", Counter()).update(idle)
                break
            tally.add_ms(time.perf_counter() - started)

    # Letters only: the duplicate check compares normalized names, which may drop digits.
    tag = "".join(random.choice(string.ascii_lowercase) for _ in range(12))
    inputs = {**INPUTS, "company_name": f"Bench {tag}", "contact_email": f"ops@{tag}.example"}
    requested = WorkflowRequested(workflow_type="new_customer", inputs=inputs)
    await phase(
        "workflow.requested",
        lambda: runner.deliver(Topic.WORKFLOW_REQUESTED, run_id, requested.model_dump(mode="json")),
    )

    async with outside() as session, session.begin():  # the approvals service's part
        proposal = (
            await session.scalars(select(ProposedAction).where(ProposedAction.run_id == run_id))
        ).one()
        proposal.status, proposal.decided_by = "approved", "mike"
    decision = ProposalDecision(
        proposal_id=proposal.id,
        action_type=proposal.action_type,
        version=proposal.version,
        payload_sha256=proposal.payload_sha256,
        decided_by="mike",
    )
    await phase(
        "proposal.approved",
        lambda: runner.deliver(
            Topic.PROPOSAL_APPROVED, run_id, decision.model_dump(mode="json"), str(proposal.id)
        ),
    )

    async with outside() as session, session.begin():  # ns-pusher's part
        push = (
            await session.scalars(select(NsPendingPush).where(NsPendingPush.run_id == run_id))
        ).one()
        push.status, push.attempts, push.netsuite_id = "applied", 1, "4242"
    result = NsPushResult(
        push_id=push.id,
        record_type=push.record_type,
        external_id=push.external_id,
        status="applied",
        netsuite_id="4242",
        attempts=1,
    )
    await phase(
        "ns.push.result",
        lambda: runner.deliver(
            Topic.NS_PUSH_RESULT, run_id, result.model_dump(mode="json"), f"{push.id}:applied"
        ),
    )
    async with outside() as session:
        run = await session.get(WorkflowRun, run_id)
        return run.status if run is not None else "missing"


def report(tally: Tally, runs: int, wall_s: float, statuses: Counter[str]) -> None:
    columns = ("statements", "commits", "rollbacks", "checkouts", "us")
    print(f"runs: {runs}  outcomes: {dict(statuses)}  wall: {wall_s:.2f}s")
    heads = [*columns[:-1], "wall ms"]
    print(f"{'phase (per run)':<48}" + "".join(f"{c:>12}" for c in heads))
    total: Counter[str] = Counter()
    for phase, counts in tally.counts.items():
        if phase == "setup":
            continue
        idle = phase.startswith("(")
        div = counts["rounds"] if idle else runs
        figures = [counts[c] / div for c in columns[:-1]] + [counts["us"] / div / 1000]
        print(f"{phase:<48}" + "".join(f"{v:>12.1f}" for v in figures))
        if not idle:
            total.update(counts)
    figures = [total[c] / runs for c in columns[:-1]] + [total["us"] / runs / 1000]
    print(f"{'total per run':<48}" + "".join(f"{v:>12.1f}" for v in figures))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--show", help="print the statements of phases starting with this")
    args = parser.parse_args()
    url = await fresh_database(os.environ["CASCADE_DATABASE_URL"])
    settings = Settings(database_url=url, contracts_dir=ROOT / "contracts")
    engine = build_engine(settings, "bench-runner")
    outside_engine = build_engine(settings, "bench-others")
    try:
        factory, outside = build_session_factory(engine), build_session_factory(outside_engine)
        tally = Tally(args.show)
        tally.attach(engine.sync_engine)
        deps = build_deps(settings, factory)
        runner, executor = Runner(deps, factory), build_executor(deps, factory)
        await one_run(-1, runner, executor, Tally(), outside)  # warm caches, not counted
        tally.counts.clear()
        statuses: Counter[str] = Counter()
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(args.runs):
            statuses[await one_run(i, runner, executor, tally, outside)] += 1
        report(tally, args.runs, time.perf_counter() - started, statuses)
        # This process's CPU: the runner's handlers and executor, plus the bench's own small
        # part (the approvals and ns-pusher rows it writes).
        print(f"CPU per run: {1000 * (time.process_time() - cpu) / args.runs:.1f} ms")
        for line in tally.shown[: len(tally.shown) // max(args.runs, 1)]:
            print(line)
    finally:
        await engine.dispose()
        await outside_engine.dispose()
        await drop_database(url)


if __name__ == "__main__":
    asyncio.run(main())
