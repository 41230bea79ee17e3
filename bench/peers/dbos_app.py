"""The DBOS peer's process: `python -m bench.peers.dbos_app` (one per replica).

DBOS Transact in the same process as the thin HTTP front (front.py), as DBOS apps are
built: the workflow and its steps are checkpointed in the system database (its own
database on the benchmark's PostgreSQL); every database effect is a datasource
transaction whose checkpoint commits with the effect; the NetSuite upsert is a step with
DBOS's retries. The front learns of the staged proposal through `DBOS.get_event`, the
approver's decision reaches the workflow through `DBOS.send` / `DBOS.recv`. Every replica
has its own executor id and the same application version, so DBOS recovers a replica's
pending workflows when it restarts. Settings come from the environment the benchmark sets
(PEER_DATABASE_URL, PEER_SYS_DATABASE_URL, PEER_PORT, PEER_EXECUTOR_ID,
CASCADE_NETSUITE_*, CASCADE_OBJECT_STORE_*), read once here. Runs in the peers' venv.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from dbos import DBOS, AsyncSQLAlchemyDatasource, DBOSConfig, SetWorkflowID, WorkflowHandleAsync
from dbos import error as dbos_error
from fastapi import FastAPI, HTTPException

from bench.peers import effects as fx
from bench.peers import new_customer as nc
from bench.peers.front import build_app, server_config
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.objectstore import ObjectStore, ObjectStoreSettings, open_object_store

APPROVAL_TOPIC = "approval"
PROPOSAL_EVENT = "proposal"
APPROVAL_WINDOW_S = 24 * 3600


class _Resources:
    """What the steps use, made in the lifespan before DBOS launches (DBOS registers
    workflows at import, so the steps reach their datasource through this holder)."""

    ds: AsyncSQLAlchemyDatasource
    rest: SuiteTalkRest
    store: ObjectStore


RES = _Resources()


async def _tx(fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """`fn(session, *args)` as a DBOS datasource transaction (checkpointed with its effect)."""

    async def body(*a: Any) -> Any:
        return await fn(RES.ds.sql_session(), *a)

    return await RES.ds.run_tx_step_async({"name": fn.__name__}, body, *args)


def _retry_netsuite(exc: BaseException) -> bool:
    return not isinstance(exc, fx.NetSuiteRefused)


# DBOS's step retries: 1 s, doubling, bounded to 10 attempts (as the Temporal peer).
@DBOS.step(retries_allowed=True, max_attempts=10, should_retry=_retry_netsuite)
async def push_netsuite(body: dict[str, Any]) -> str:
    return await fx.upsert_customer(RES.rest, body)


def _retry_put(exc: BaseException) -> bool:
    return not isinstance(exc, fx.ObjectStoreRefused)


# The bytes are the checkpointed output of the transaction that assembled them: a retried
# or recovered PUT sends exactly those (see effects.put_bundle).
@DBOS.step(retries_allowed=True, max_attempts=10, should_retry=_retry_put)
async def put_bundle(bundle: dict[str, str]) -> str:
    return await fx.put_bundle(RES.store, bundle)


@DBOS.step()
async def started_at() -> str:
    """The run's start time, checkpointed so a recovered run keeps it."""
    return datetime.now(UTC).isoformat()


async def _approve_if_still_valid(session: fx.Db, values: dict[str, Any]) -> list[str]:
    """The blocking re-check and the decision, in one transaction."""
    failed = await fx.recheck(session, values)
    await fx.decide(session, values["run_id"], "blocked" if failed else "approved")
    return failed


@DBOS.workflow(name="new_customer")
async def new_customer(values: dict[str, Any]) -> dict[str, Any]:
    began = await started_at()
    status = await _run(values, began)
    await _tx(fx.post_actions, values, status, began)
    return {"status": status}


async def _run(values: dict[str, Any], began: str) -> str:
    run_id = values["run_id"]
    ctx = await _tx(fx.read_context, values)
    blocks = nc.blocking_failures(values, ctx)
    if blocks:
        await DBOS.set_event_async(PROPOSAL_EVENT, {"status": "blocked", "preconditions": blocks})
        return "blocked"
    payload = nc.proposal(values, ctx, nc.warnings(values, ctx))
    sha = nc.payload_sha256(payload)
    await _tx(fx.stage, payload, sha)
    await DBOS.set_event_async(PROPOSAL_EVENT, {"status": "staged", "payload_sha256": sha})

    decision = await DBOS.recv_async(APPROVAL_TOPIC, timeout_seconds=APPROVAL_WINDOW_S)
    if decision is None:
        await _tx(fx.decide, run_id, "expired")
        return "expired"
    if decision.get("payload_sha256") != sha:
        await _tx(fx.decide, run_id, "rejected")
        return "rejected"
    # The re-check: the world may have changed while the proposal waited.
    if await _tx(_approve_if_still_valid, values):
        return "blocked"

    customer_id = await _tx(fx.insert_customer, values, ctx["terms_id"])
    outcomes: tuple[Any, Any] = await asyncio.gather(
        push_netsuite(payload["netsuite"]),
        _tx(fx.assign_programs, values, customer_id),
        return_exceptions=True,
    )
    pushed, assigned = outcomes
    if isinstance(assigned, BaseException):
        raise assigned
    if isinstance(pushed, fx.NetSuiteRefused | dbos_error.DBOSMaxStepRetriesExceeded):
        # NetSuite refused, or never answered within the retries: no write-back, no
        # welcome to a customer it lacks.
        return "partial"
    if isinstance(pushed, BaseException):
        raise pushed
    await _tx(fx.write_back, customer_id, pushed)
    ids = {"customer_id": customer_id, "netsuite_id": pushed, "terms_id": ctx["terms_id"]}
    # The welcome email and the bundle both follow NetSuite (the contract's fan-out). The
    # bundle's bytes are fixed first, so the two steps that run side by side start in one
    # order on every replay (as push_netsuite and assign_programs above).
    bundle = await _tx(fx.assemble_bundle, values, ids, began)
    ends: tuple[Any, Any] = await asyncio.gather(
        _tx(fx.draft_email, values), put_bundle(bundle), return_exceptions=True
    )
    drafted, bundled = ends
    if isinstance(drafted, BaseException):
        raise drafted
    if isinstance(bundled, fx.ObjectStoreRefused | dbos_error.DBOSMaxStepRetriesExceeded):
        return "partial"  # the store refused, or never answered within the retries
    if isinstance(bundled, BaseException):
        raise bundled
    return "completed"


class DbosEngine:
    """The front's side: start with the run id as workflow id, events, messages, results.

    A run started here is awaited through the handle `start_workflow_async` gave (the
    workflow's own task in this process); any other through a polling handle, which
    reads the system database every RESULT_POLL_S (DBOS's default is 1 s)."""

    RESULT_POLL_S = 0.05

    def __init__(self) -> None:
        self._handles: dict[str, WorkflowHandleAsync[dict[str, Any]]] = {}

    async def start(self, run_id: str, values: dict[str, Any]) -> None:
        with SetWorkflowID(run_id):
            self._handles[run_id] = await DBOS.start_workflow_async(new_customer, values)

    async def staged(self, run_id: str) -> dict[str, Any]:
        found = await DBOS.get_event_async(run_id, PROPOSAL_EVENT, timeout_seconds=60)
        if found is None:
            raise HTTPException(504, "not staged within 60 s")
        return dict(found)

    async def approve(self, run_id: str, decision: dict[str, Any]) -> None:
        await DBOS.send_async(run_id, decision, topic=APPROVAL_TOPIC)

    async def result(self, run_id: str) -> dict[str, Any]:
        local = self._handles.pop(run_id, None)
        if local is not None:
            return dict(await local.get_result())
        handle: WorkflowHandleAsync[dict[str, Any]] = await DBOS.retrieve_workflow_async(run_id)
        return dict(await handle.get_result(polling_interval_sec=self.RESULT_POLL_S))


def main() -> None:
    config: DBOSConfig = {
        "name": "cascade-bench-peer",
        "system_database_url": os.environ["PEER_SYS_DATABASE_URL"],
        "application_version": "bench-1",
        "executor_id": os.environ["PEER_EXECUTOR_ID"],
        "log_level": "WARNING",
    }

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        DBOS(config=config)
        RES.ds = await AsyncSQLAlchemyDatasource.create(os.environ["PEER_DATABASE_URL"])
        async with (
            httpx.AsyncClient() as http,
            open_object_store(ObjectStoreSettings()) as store,
        ):
            RES.rest, RES.store = fx.netsuite_from_env(http), store
            DBOS.launch()
            yield
            DBOS.destroy()
        await RES.ds.engine.dispose()

    app = build_app("dbos-app", DbosEngine(), lifespan=lifespan)
    uvicorn.Server(server_config(app, int(os.environ["PEER_PORT"]))).run()


if __name__ == "__main__":
    main()
