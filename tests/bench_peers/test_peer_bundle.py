"""The peers' first-quote-context bundle: the contract's own step (key, document, bytes),
PUT to the real S3 server with its hash, and the check's verdict on what the store holds;
and the bench's S3 port (`BENCH_PORTS`' fourth)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bench.peers import effects as fx
from bench.peers import new_customer as nc
from bench.peers.harness import bundle_violations
from bench.workflow.cascade_system import bench_servers
from bench.workflow.system import RunInputs
from cascade.shared.contract import object_document, object_key
from cascade.shared.objectstore import (
    ObjectStore,
    ObjectStoreSettings,
    object_body,
    open_object_store,
)

STARTED = "2026-12-01T10:00:00+00:00"
IDS = {"customer_id": 12, "netsuite_id": "647", "terms_id": 2}


def scope(run_id: str) -> dict[str, object]:
    values = nc.derive(RunInputs(7, "t").as_dict(), run_id)
    return nc.bundle_scope(values, IDS, STARTED)


def test_the_bench_ports_take_an_s3_port_or_leave_the_profiles() -> None:
    assert bench_servers({"BENCH_PORTS": "1,2,3"}).s3 == 18633
    four = bench_servers({"BENCH_PORTS": "1,2,3,4"})
    assert (four.pg_port, four.kafka_port, four.kafka_controller_port, four.s3) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="3 or 4 ports"):
        bench_servers({"BENCH_PORTS": "1,2,3,4,5"})


def test_the_bundle_is_the_contracts_step_over_the_runs_scope() -> None:
    run_id = str(uuid.uuid4())
    step, bound = fx.bundle_step(), scope(run_id)
    assert step.id == nc.BUNDLE_STEP
    assert object_key(step, bound) == nc.bundle_key(run_id)
    assert bound["run_started_at"] == datetime(2026, 12, 1, 10, tzinfo=UTC)
    document = object_document(step, bound, {query.name: None for query in step.queries})
    assert document["document_type"] == "first_quote_context"
    assert (document["run_id"], document["netsuite_internal_id"]) == (run_id, "647")


@pytest.fixture
async def store(object_store_settings: ObjectStoreSettings) -> AsyncIterator[ObjectStore]:
    async with open_object_store(object_store_settings) as opened:
        yield opened


def recorded(run_id: str, document: dict[str, object]) -> dict[str, str]:
    """A bundle as `assemble_bundle` records it."""
    body = object_body(document)
    return {"key": nc.bundle_key(run_id), "body": body.data.decode(), "sha256": body.sha256}


@pytest.mark.integration
async def test_a_repeated_put_writes_the_same_object_and_the_check_accepts_it(
    store: ObjectStore,
) -> None:
    run_id = str(uuid.uuid4())
    assert await bundle_violations(store, run_id) == [
        f"{run_id}: no bundle at " + nc.bundle_key(run_id)
    ]
    bundle = recorded(run_id, {"run_id": run_id, "price_list": [{"unit_price": "9.50"}]})
    first, again = await fx.put_bundle(store, bundle), await fx.put_bundle(store, bundle)
    assert first == again, "the same bytes: the same object"
    assert await bundle_violations(store, run_id) == []


@pytest.mark.integration
async def test_bytes_that_do_not_match_their_hash_are_refused_and_nothing_is_stored(
    store: ObjectStore,
) -> None:
    run_id = str(uuid.uuid4())
    bundle = recorded(run_id, {"run_id": run_id})
    damaged = {**bundle, "body": bundle["body"].replace(run_id, str(uuid.uuid4()))}
    with pytest.raises(fx.ObjectStoreRefused):
        await fx.put_bundle(store, damaged)
    assert await bundle_violations(store, run_id) == [
        f"{run_id}: no bundle at " + nc.bundle_key(run_id)
    ]
