"""Cron triggers end to end: two intake replicas fire `stale_proposals_digest` once per
tick; one is SIGKILLed in the middle of a tick (tick row and run request written, not
committed) and the other fires that tick; restarted, it fires nothing twice.

The contract is the repository's, with its schedule made every two seconds (croniter's
seconds field) and `catch_up: all`, so that every tick between the first and the last must
be there exactly once. The product's semantics are the same at 08:00 on weekdays."""

from __future__ import annotations

import shutil
import signal
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService, settings_env
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.devstack.waiting import eventually
from cascade.shared.db.models import ProposedAction, TriggerTick, WorkflowRun
from cascade.shared.settings import Settings

pytestmark = pytest.mark.e2e

DIGEST = "stale_proposals_digest"
EVERY_2S = "* * * * * */2"


def _contracts(settings: Settings, into: Path) -> Path:
    into.mkdir()
    for path in Path(settings.contracts_dir).glob("*.yaml"):
        shutil.copy(path, into / path.name)
    digest = into / f"{DIGEST}.yaml"
    source = digest.read_text(encoding="utf-8")
    assert 'schedule: "0 8 * * 1-5"' in source
    assert "catch_up: latest" in source
    source = source.replace('schedule: "0 8 * * 1-5"', f'schedule: "{EVERY_2S}"')
    digest.write_text(source.replace("catch_up: latest", "catch_up: all"), encoding="utf-8")
    return into


async def _fired(factory: async_sessionmaker[AsyncSession]) -> list[TriggerTick]:
    async with factory() as session:
        query = select(TriggerTick).where(
            TriggerTick.workflow_type == DIGEST, TriggerTick.outcome == "fired"
        )
        return list((await session.scalars(query.order_by(TriggerTick.scheduled_for))).all())


async def _digest_runs(factory: async_sessionmaker[AsyncSession]) -> list[WorkflowRun]:
    async with factory() as session:
        query = select(WorkflowRun).where(WorkflowRun.workflow_type == DIGEST)
        return list((await session.scalars(query)).all())


async def _check_once_per_tick(factory: async_sessionmaker[AsyncSession]) -> int:
    """Every tick from the first fired to the last is there once, with one run each."""
    ticks = await _fired(factory)
    times = [t.scheduled_for for t in ticks]
    expected = [times[0] + timedelta(seconds=2 * i) for i in range(len(times))]
    assert times == expected, "a tick is missing or doubled"
    assert all(t.run_id is not None for t in ticks)
    wanted = {t.run_id for t in ticks}

    async def recorded() -> bool:
        return wanted <= {r.run_id for r in await _digest_runs(factory)}

    # The runner records a tick's run once the relay has published its request.
    await eventually(recorded, within=60)
    later = {t.run_id for t in await _fired(factory)}
    runs = await _digest_runs(factory)
    assert {r.run_id for r in runs} <= later, "a run no tick started"
    assert len(runs) == len({r.run_id for r in runs})
    assert {r.started_by for r in runs} == {f"cron:{DIGEST}"}
    return len(ticks)


async def test_two_replicas_one_killed_mid_tick_fire_each_tick_once(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
    tmp_path: Path,
) -> None:
    contracts = _contracts(settings, tmp_path / "contracts")
    env = {"CASCADE_CONTRACTS_DIR": str(contracts)}
    start_service("runner", env)
    start_service("intake", env)
    # The second replica dies at its first claimed tick, inside the transaction: it may do
    # so before it answers its health check, so it is started without waiting for one.
    port = free_port()
    armed_env = {
        **settings_env(settings),
        **env,
        "CASCADE_INTAKE_PORT": str(port),
        "CASCADE_CRASH_AT": "cron_after_claim",
    }
    armed = ServiceProcess(
        "intake-armed", "cascade.intake", port, armed_env, tmp_path / "intake-armed.log"
    )
    armed.start()
    try:
        code = armed.wait_exit(timeout=60)
    except Exception:
        fired = [(t.scheduled_for, t.outcome) for t in await _fired(session_factory)]
        raise AssertionError(f"{fired[-5:]}\n{armed.log_tail(80)}") from None
    finally:
        armed.stop()
    assert code == -signal.SIGKILL, armed.log_tail()

    fired_at_kill = len(await _fired(session_factory))

    async def more_ticks(than: int) -> bool:
        return len(await _fired(session_factory)) >= than

    await eventually(lambda: more_ticks(fired_at_kill + 3), within=60)
    await _check_once_per_tick(session_factory)

    # Restarted (not armed this time), the replica fires nothing that was fired before.
    start_service("intake", env)
    now = len(await _fired(session_factory))
    await eventually(lambda: more_ticks(now + 5), within=60)
    total = await _check_once_per_tick(session_factory)
    assert total >= fired_at_kill + 8

    # The runs did the work: each completed with its digest drafted for Mike.
    async def all_done() -> bool:
        async with session_factory() as session:
            statuses = (
                await session.scalars(
                    select(WorkflowRun.status).where(WorkflowRun.workflow_type == DIGEST)
                )
            ).all()
        return len(statuses) >= total and set(statuses) == {"completed"}

    await eventually(all_done, within=90)
    async with session_factory() as session:
        drafts = (
            await session.scalars(
                select(ProposedAction).where(ProposedAction.action_type == "email_proposals_digest")
            )
        ).all()
    assert len(drafts) >= total
    assert {d.payload["to"] for d in drafts} == {"mike@cascade.example"}
    assert all(d.payload["subject"].startswith("Cascade: 0 proposals pending") for d in drafts)
