"""`cascade dlq redrive` end to end: a price change the contract refused is dead-lettered; the
contract is fixed and intake restarted with it; the operator redrives the record (the CLI's
own entry point, against the approvals service's API) and its run completes, exactly once.

The record is a binary-mode CloudEvent: its id and attributes are only in its Kafka headers,
so the run starts only if the redrive kept them (and the event id is the run's idempotency
key: a second delivery would name the same run)."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import topic_events, wait_consumed
from cascade.shared.cli import main as cascade
from cascade.shared.db.models import ApprovalAudit, DeadLetter, Item, ItemPrice, WorkflowRun
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.e2e

Factory = async_sessionmaker[AsyncSession]
ADMIN_TOKEN = "e2e-redrive-" + uuid.uuid4().hex
GROUP = "intake.event.price_changed.price.changed"
STRICT = "values: [USD, EUR, GBP]"


def _contracts(settings: Settings, into: Path) -> Path:
    into.mkdir()
    for path in Path(settings.contracts_dir).glob("*.yaml"):
        shutil.copy(path, into / path.name)
    assert (into / "price_changed.yaml").read_text(encoding="utf-8").count(STRICT) == 1
    return into


def _allow_chf(contracts: Path) -> None:
    """The fix: the pricing system's Swiss franc prices are accepted."""
    path = contracts / "price_changed.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(STRICT, "values: [USD, EUR, GBP, CHF]"), encoding="utf-8")


async def _letters(factory: Factory, topic: str) -> list[DeadLetter]:
    async with factory() as session:
        query = select(DeadLetter).where(DeadLetter.topic == topic).order_by(DeadLetter.id)
        return list((await session.scalars(query)).all())


async def _runs(factory: Factory) -> list[WorkflowRun]:
    async with factory() as session:
        query = select(WorkflowRun).where(WorkflowRun.workflow_type == "price_changed")
        return list((await session.scalars(query)).all())


async def test_a_refused_event_redriven_after_the_fix_completes_its_run_once(
    settings: Settings, session_factory: Factory, start_service: StartService, tmp_path: Path
) -> None:
    async with session_factory() as session, session.begin():
        session.add(Item(id="ITEM-R1", name="Franc widget"))
    contracts = _contracts(settings, tmp_path / "contracts")
    env = {"CASCADE_CONTRACTS_DIR": str(contracts), "CASCADE_ADMIN_TOKEN": ADMIN_TOKEN}
    intake, approvals = start_service.many([("intake", env), ("approvals", env)])
    topic = topic_name(settings.topic_prefix, "price.changed")
    data = {
        "item_id": "ITEM-R1",
        "pricing_tier": "gold",
        "new_price": "9.75",
        "currency": "CHF",
        "effective_date": "2026-12-01",
    }
    headers = {
        "ce_specversion": b"1.0",
        "ce_id": b"evt-chf-1",
        "ce_source": b"/pricing-system",
        "ce_type": b"com.example.price.changed",
        "content-type": b"application/json",
    }
    value = json.dumps(data).encode()
    await produce_raw(settings.kafka_bootstrap, topic, value, "ITEM-R1", headers)

    async def dead_lettered() -> bool:
        return len(await _letters(session_factory, topic)) == 1

    await eventually(dead_lettered, within=60)
    (letter,) = await _letters(session_factory, topic)
    assert "inputs.currency" in letter.error
    assert letter.headers["ce_id"] == "evt-chf-1"
    assert await _runs(session_factory) == []

    # The fix is deployed: intake restarted with the contract that accepts CHF.
    intake.stop()
    _allow_chf(contracts)
    start_service.many([("intake", env), ("runner", env)])

    token_file = tmp_path / "admin-token"
    token_file.write_text(ADMIN_TOKEN + "\n", encoding="utf-8")
    url = f"http://127.0.0.1:{approvals.port}"
    argv = ["dlq", "redrive", str(letter.id), "--url", url, "--token-file", str(token_file)]
    assert await asyncio.to_thread(cascade, [*argv, "--reason", "CHF accepted"]) == 0

    async def completed() -> bool:
        runs = await _runs(session_factory)
        return len(runs) == 1 and runs[0].status == "completed"

    await eventually(completed, within=60)
    # Redriving again is refused: the record went back once.
    assert await asyncio.to_thread(cascade, argv) == 1

    await wait_consumed(settings, GROUP, "price.changed")
    (run,) = await _runs(session_factory)
    assert run.started_by == "event:price.changed"
    assert run.inputs["currency"] == "CHF"
    ended = [
        e for e in await topic_events(settings, Topic.WORKFLOW_COMPLETED) if e.run_id == run.run_id
    ]
    assert len({e.idempotency_key for e in ended}) == 1, "the run completed once"
    async with session_factory() as session:
        prices = (
            await session.scalars(select(ItemPrice).where(ItemPrice.item_id == "ITEM-R1"))
        ).all()
        audit = (
            await session.scalars(
                select(ApprovalAudit).where(ApprovalAudit.decision == "dlq_redriven")
            )
        ).all()
        marked = await session.get(DeadLetter, letter.id)
    assert [(p.currency, str(p.unit_price), p.source_run_id) for p in prices] == [
        ("CHF", "9.7500", run.run_id)
    ]
    (entry,) = audit
    assert entry.actor == "mike"
    assert entry.reason is not None
    assert entry.reason.endswith("CHF accepted")
    assert marked is not None
    assert marked.redriven_by == "mike"
    assert [d.id for d in await _letters(session_factory, topic)] == [letter.id], "once only"
