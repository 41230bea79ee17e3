"""The Temporal peer's processes: `python -m bench.peers.temporal_app worker|front`.

worker: the activities (SQLAlchemy async on asyncpg, Cascade's NetSuite client) and the
workflow, polling the dev server's task queue. front: the thin HTTP front (front.py) over
the Temporal client. Settings come from the environment the benchmark sets
(PEER_DATABASE_URL, TEMPORAL_ADDRESS, PEER_PORT, CASCADE_NETSUITE_*,
CASCADE_OBJECT_STORE_*), read once here.
Runs in the peers' venv.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import httpx
import uvicorn
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from bench.peers import effects as fx
from bench.peers.front import build_app, server_config
from bench.peers.temporal_workflow import TASK_QUEUE, NewCustomer
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.objectstore import ObjectStore, ObjectStoreSettings, open_object_store


class Activities:
    """Each activity is one transaction (or one NetSuite upsert, or one PUT), retried by
    Temporal."""

    def __init__(self, engine: AsyncEngine, rest: SuiteTalkRest, store: ObjectStore) -> None:
        self._engine = engine
        self._rest = rest
        self._store = store

    @activity.defn(name="read_context")
    async def read_context(self, values: dict[str, Any]) -> dict[str, Any]:
        async with self._engine.connect() as conn:
            return await fx.read_context(conn, values)

    @activity.defn(name="stage")
    async def stage(self, payload: dict[str, Any], sha: str) -> None:
        async with self._engine.begin() as conn:
            await fx.stage(conn, payload, sha)

    @activity.defn(name="decide")
    async def decide(self, run_id: str, status: str) -> None:
        async with self._engine.begin() as conn:
            await fx.decide(conn, run_id, status)

    @activity.defn(name="approve_if_still_valid")
    async def approve_if_still_valid(self, values: dict[str, Any]) -> list[str]:
        """The blocking re-check and the decision, in one transaction."""
        async with self._engine.begin() as conn:
            failed = await fx.recheck(conn, values)
            await fx.decide(conn, values["run_id"], "blocked" if failed else "approved")
            return failed

    @activity.defn(name="insert_customer")
    async def insert_customer(self, values: dict[str, Any], terms_id: int) -> int:
        async with self._engine.begin() as conn:
            return await fx.insert_customer(conn, values, terms_id)

    @activity.defn(name="push_netsuite")
    async def push_netsuite(self, body: dict[str, Any]) -> str:
        return await fx.upsert_customer(self._rest, body)

    @activity.defn(name="assign_programs")
    async def assign_programs(self, values: dict[str, Any], customer_id: int) -> None:
        async with self._engine.begin() as conn:
            await fx.assign_programs(conn, values, customer_id)

    @activity.defn(name="write_back")
    async def write_back(self, customer_id: int, netsuite_id: str) -> None:
        async with self._engine.begin() as conn:
            await fx.write_back(conn, customer_id, netsuite_id)

    @activity.defn(name="draft_email")
    async def draft_email(self, values: dict[str, Any]) -> None:
        async with self._engine.begin() as conn:
            await fx.draft_email(conn, values)

    @activity.defn(name="assemble_bundle")
    async def assemble_bundle(
        self, values: dict[str, Any], ids: dict[str, Any], started_at: str
    ) -> dict[str, str]:
        async with self._engine.connect() as conn:  # read-only: nothing to commit
            return await fx.assemble_bundle(conn, values, ids, started_at)

    @activity.defn(name="put_bundle")
    async def put_bundle(self, bundle: dict[str, str]) -> str:
        return await fx.put_bundle(self._store, bundle)

    @activity.defn(name="post_actions")
    async def post_actions(self, values: dict[str, Any], status: str, started_at: str) -> None:
        async with self._engine.begin() as conn:
            await fx.post_actions(conn, values, status, started_at)

    def all(self) -> list[Any]:
        return [
            self.read_context, self.stage, self.decide, self.approve_if_still_valid,
            self.insert_customer, self.push_netsuite, self.assign_programs,
            self.write_back, self.draft_email, self.assemble_bundle, self.put_bundle,
            self.post_actions,
        ]  # fmt: skip


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_worker() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    engine = create_async_engine(os.environ["PEER_DATABASE_URL"], pool_size=20)
    async with (
        httpx.AsyncClient() as http,
        open_object_store(ObjectStoreSettings()) as store,
    ):
        acts = Activities(engine, fx.netsuite_from_env(http), store)
        worker = Worker(
            client, task_queue=TASK_QUEUE, workflows=[NewCustomer], activities=acts.all()
        )
        async with worker:
            print("worker ready", flush=True)  # what the benchmark waits for
            await _until_signalled()
    await engine.dispose()


class TemporalEngine:
    """The front's side: start, the `proposal` update, the `approve` signal, the result."""

    def __init__(self, client: Client) -> None:
        self._client = client

    def _handle(self, run_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(run_id)

    async def start(self, run_id: str, values: dict[str, Any]) -> None:
        await self._client.start_workflow(NewCustomer.run, values, id=run_id, task_queue=TASK_QUEUE)

    async def staged(self, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._handle(run_id).execute_update(NewCustomer.proposal)
        return result

    async def approve(self, run_id: str, decision: dict[str, Any]) -> None:
        await self._handle(run_id).signal(NewCustomer.approve, decision)

    async def result(self, run_id: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._handle(run_id).result()
        return result


async def run_front() -> None:
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"])
    app = build_app("temporal-front", TemporalEngine(client))
    await uvicorn.Server(server_config(app, int(os.environ["PEER_PORT"]))).serve()


if __name__ == "__main__":
    role = sys.argv[1]
    asyncio.run(run_worker() if role == "worker" else run_front())
