"""Event triggers end to end: `price.changed` records published to the real Kafka start
`price_changed` runs through intake and the runner (real processes, real PostgreSQL)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import produce_raw, read_all
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.waiting import eventually
from cascade.devstack.wire import wait_consumed
from cascade.shared.db.models import DeadLetter, Item, ItemPrice, WorkflowRun
from cascade.shared.settings import Settings
from cascade.shared.topics import dlq_name, topic_name

pytestmark = pytest.mark.e2e

GROUP = "intake.event.price_changed.price.changed"


def _price(item: str, price: str) -> dict[str, Any]:
    return {
        "item_id": item,
        "pricing_tier": "gold",
        "new_price": price,
        "currency": "EUR",
        "effective_date": "2026-12-01",
        "reason": "list price update",
    }


def _cloudevent(event_id: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": event_id,
            "source": "/pricing-system",
            "type": "com.example.price.changed",
            "datacontenttype": "application/json",
            "data": data,
        }
    ).encode()


async def _runs(factory: async_sessionmaker[AsyncSession]) -> list[WorkflowRun]:
    async with factory() as session:
        query = select(WorkflowRun).where(WorkflowRun.workflow_type == "price_changed")
        return list((await session.scalars(query.order_by(WorkflowRun.requested_at))).all())


async def test_price_changed_events_start_one_run_each_and_bad_ones_are_dead_lettered(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    async with session_factory() as session:
        session.add_all([Item(id="ITEM-E1", name="Widget"), Item(id="ITEM-E2", name="Gadget")])
        await session.commit()
    start_service("intake")
    start_service("runner")
    topic = topic_name(settings.topic_prefix, "price.changed")
    bootstrap = settings.kafka_bootstrap

    # A structured-mode CloudEvent starts one run, recorded as started by the event.
    await produce_raw(bootstrap, topic, _cloudevent("evt-1", _price("ITEM-E1", "12.5")), "ITEM-E1")

    async def completed(count: int) -> bool:
        runs = await _runs(session_factory)
        return len(runs) >= count and all(r.status == "completed" for r in runs)

    await eventually(lambda: completed(1), within=90)
    (first,) = await _runs(session_factory)
    assert first.started_by == "event:price.changed"
    assert first.source == "/pricing-system"
    assert first.inputs["item_id"] == "ITEM-E1"
    assert first.inputs["pricing_tier"] == "gold"

    # Redelivered: the same event again, and once more in binary mode (ce_* headers).
    await produce_raw(bootstrap, topic, _cloudevent("evt-1", _price("ITEM-E1", "12.5")), "ITEM-E1")
    headers = {
        "ce_specversion": b"1.0",
        "ce_id": b"evt-1",
        "ce_source": b"/pricing-system",
        "ce_type": b"com.example.price.changed",
        "content-type": b"application/json",
    }
    await produce_raw(
        bootstrap, topic, json.dumps(_price("ITEM-E1", "12.5")).encode(), "ITEM-E1", headers
    )

    await wait_consumed(settings, GROUP, "price.changed", within=60)
    assert [r.run_id for r in await _runs(session_factory)] == [first.run_id]

    # Invalid events go to the DLQ with the reason; a later valid one still starts a run.
    await produce_raw(bootstrap, topic, b"{not json", "bad-1")
    missing = {k: v for k, v in _price("ITEM-E2", "3").items() if k != "item_id"}
    await produce_raw(bootstrap, topic, _cloudevent("evt-bad", missing), "bad-2")
    await produce_raw(bootstrap, topic, _cloudevent("evt-neg", _price("ITEM-E2", "-1")), "bad-3")
    plain = {**_price("ITEM-E2", "7.25"), "event_id": str(uuid.uuid4())}
    await produce_raw(bootstrap, topic, json.dumps(plain).encode(), "ITEM-E2")

    await eventually(lambda: completed(2), within=90)
    runs = await _runs(session_factory)
    assert len(runs) == 2
    assert runs[1].inputs["item_id"] == "ITEM-E2"
    assert runs[1].started_by == "event:price.changed"
    async with session_factory() as session:
        letters = (await session.scalars(select(DeadLetter).where(DeadLetter.topic == topic))).all()
        prices = await session.scalar(
            select(func.count()).select_from(ItemPrice).where(ItemPrice.item_id == "ITEM-E2")
        )
    reasons = sorted(d.error for d in letters)
    assert len(reasons) == 3, reasons
    assert any("event is not JSON" in r for r in reasons)
    assert any("invalid event: inputs.item_id: Enter the item id." in r for r in reasons)
    assert any("invalid event: inputs.new_price: Enter 0 or more." in r for r in reasons)
    assert prices == 1, "the refused events changed nothing"

    async def dlq_has_them() -> bool:
        return len(await read_all(bootstrap, dlq_name(topic))) == 3

    await eventually(dlq_has_them, within=30)
