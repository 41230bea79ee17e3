"""The first-quote bundle: the runner stores it in the real local S3 server, once, even when
it dies between the PUT and the commit that records it."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.wire import (
    answer_push,
    awaiting_run,
    decide_on_wire,
    staged_push,
    wait_status,
)
from cascade.shared.db.models import ObjectPut, WorkflowRunStep
from cascade.shared.objectstore import ObjectStoreSettings, open_object_store
from cascade.shared.settings import Settings

pytestmark = pytest.mark.integration
Factory = async_sessionmaker[AsyncSession]
INPUTS = {
    "company_name": "Bundle Works",
    "contact_email": "quotes@bundle.example",
    "billing_address": "5 Key Street",
    "pricing_tier": "gold",
}
#: A PUT times out after 1 s, so a claim's lease is 7 s (2 x timeout + 5): a crashed
#: runner's object is retaken soon.
FAST_LEASE = {"CASCADE_OBJECT_STORE_TIMEOUT_S": "1", "CASCADE_OBJECT_PUT_LEASE_S": "1"}


async def run_to_bundle(
    settings: Settings, factory: Factory, run_id: uuid.UUID
) -> tuple[WorkflowRunStep, ObjectPut]:
    await decide_on_wire(factory, settings, run_id, approve=True)
    push = await staged_push(factory, run_id)
    await answer_push(factory, settings, push, applied=True)
    await wait_status(factory, run_id, "completed")
    async with factory() as session:
        step = await session.get(WorkflowRunStep, (run_id, "first_quote_context"))
        put = (await session.scalars(select(ObjectPut).where(ObjectPut.run_id == run_id))).one()
    assert step is not None
    return step, put


async def stored_bytes(store_settings: ObjectStoreSettings, key: str) -> bytes:
    async with open_object_store(store_settings) as store:
        data = await store.get(key)
    assert data is not None, f"{key} is not in the object store"
    return data


async def test_the_bundle_is_stored_with_the_hash_the_step_recorded(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    object_store_settings: ObjectStoreSettings,
) -> None:
    start_service("runner")
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    step, put = await run_to_bundle(settings, session_factory, run_id)
    assert step.status == "done"
    assert step.output is not None
    key = f"customers/cascade-customer-{run_id}/first-quote-context/v1.json"
    assert step.output["first_quote_context_key"] == key
    assert (put.status, put.attempts, put.object_key) == ("stored", 1, key)
    data = await stored_bytes(object_store_settings, key)
    assert data == put.body
    assert hashlib.sha256(data).hexdigest() == step.output["first_quote_context_sha256"]
    assert json.loads(data)["pricing_tier"]["code"] == "gold"


async def test_a_runner_killed_after_the_put_puts_the_same_bytes_again(
    settings: Settings,
    session_factory: Factory,
    start_service: StartService,
    object_store_settings: ObjectStoreSettings,
) -> None:
    runner = start_service("runner", {"CASCADE_CRASH_AT": "object_put_after_put", **FAST_LEASE})
    run_id = await awaiting_run(settings, session_factory, INPUTS)
    await decide_on_wire(session_factory, settings, run_id, approve=True)
    push = await staged_push(session_factory, run_id)
    await answer_push(session_factory, settings, push, applied=True)
    assert runner.wait_exit(timeout=60) == -9, "the runner must die after the PUT"
    async with session_factory() as session:
        put = (await session.scalars(select(ObjectPut).where(ObjectPut.run_id == run_id))).one()
    assert put.status == "putting", "the PUT happened; nothing recorded it"
    first = await stored_bytes(object_store_settings, put.object_key)

    start_service("runner", FAST_LEASE)
    await wait_status(session_factory, run_id, "completed")
    async with session_factory() as session:
        step = await session.get(WorkflowRunStep, (run_id, "first_quote_context"))
        put = (await session.scalars(select(ObjectPut).where(ObjectPut.run_id == run_id))).one()
    assert (put.status, put.attempts) == ("stored", 2), "retaken after the lease and PUT again"
    assert await stored_bytes(object_store_settings, put.object_key) == first == put.body
    assert step is not None
    assert step.output is not None
    assert step.output["first_quote_context_sha256"] == hashlib.sha256(first).hexdigest()
