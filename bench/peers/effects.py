"""The new-customer workflow's IO, shared by both peers: SQL on a connection the engine
hands over (a Temporal activity's own transaction, a DBOS datasource transaction's session),
the NetSuite upsert through Cascade's own signed SuiteTalk transport, and the
first-quote-context bundle through Cascade's own S3 client.

The bundle is Cascade's: the contract's `object_put` step (its queries, key template and
document) rendered by Cascade's contract code into canonical JSON and its SHA-256. As in
Cascade, the bytes are fixed once (`assemble_bundle`, a step whose result the engine
records) and the PUT (`put_bundle`, retried by the engine) sends exactly those bytes with
their hash as the checksum the server verifies, so a repeated PUT writes the identical
object.

Every write is idempotent by run (see new_customer), so an engine's retry of a step whose
commit was lost does nothing twice. Runs in the peers' venv.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import httpx
from pydantic import SecretStr
from sqlalchemy import text

from bench.peers import new_customer as nc
from cascade.shared.canonical import canonical_json
from cascade.shared.contract import (
    ObjectPutStep,
    bind,
    load_contract,
    object_document,
    object_key,
    shape_context_result,
)
from cascade.shared.netsuite.oauth import TbaAuth, TbaCredentials
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.objectstore import ObjectBody, ObjectStore, ObjectStoreError, object_body

CONTRACT = Path(__file__).resolve().parents[2] / "contracts" / f"{nc.WORKFLOW_TYPE}.yaml"


class Db(Protocol):
    """What both engines hand a step: SQLAlchemy's AsyncConnection or AsyncSession."""

    async def execute(self, statement: Any, parameters: Any = None) -> Any: ...


async def read_context(
    db: Db, values: dict[str, Any], names: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The contract's context queries (all, or the named ones) in the caller's transaction;
    an empty `many` answer is None, as the contract's `IS NULL` rules expect."""
    params = nc.query_params(values)
    ctx: dict[str, Any] = {}
    for name, sql in nc.CONTEXT_MANY.items():
        if not names or name in names:
            rows = (await db.execute(text(sql), params)).mappings().all()
            ctx[name] = [dict(r) for r in rows] or None
    for name, sql in nc.CONTEXT_SCALAR.items():
        if not names or name in names:
            ctx[name] = (await db.execute(text(sql), params)).scalar_one_or_none()
    return ctx


async def stage(db: Db, payload: dict[str, Any], sha: str) -> None:
    """The pending proposal row (once per run)."""
    await db.execute(
        text(nc.STAGE_SQL),
        {
            "run_id": payload["inputs"]["run_id"],
            "action_type": nc.ACTION_TYPE,
            "approver": nc.APPROVER,
            "payload": canonical_json(payload),
            "payload_sha256": sha,
        },
    )


async def decide(db: Db, run_id: str, status: str) -> None:
    """The proposal approved or rejected (a no-op on a repeat)."""
    await db.execute(
        text(nc.DECIDE_SQL), {"run_id": run_id, "status": status, "approver": nc.APPROVER}
    )


async def recheck(db: Db, values: dict[str, Any]) -> list[str]:
    """The blocking preconditions again, after the approval, before the first effect."""
    ctx = await read_context(db, values, nc.RECHECK_QUERIES)
    return nc.blocking_failures(values, ctx)


async def insert_customer(db: Db, values: dict[str, Any], terms_id: int) -> int:
    """The customer row (its id, also on a repeat: keyed by the run's external id)."""
    result = await db.execute(text(nc.INSERT_CUSTOMER_SQL), nc.customer_params(values, terms_id))
    return int(result.scalar_one())


async def write_back(db: Db, customer_id: int, netsuite_id: str) -> None:
    """NetSuite's internal id into the mirror."""
    await db.execute(
        text(nc.WRITEBACK_SQL), {"customer_id": customer_id, "netsuite_id": netsuite_id}
    )


async def assign_programs(db: Db, values: dict[str, Any], customer_id: int) -> None:
    """The tier's default programs for the new customer."""
    params = {
        "customer_id": customer_id,
        "run_id": values["run_id"],
        "pricing_tier": values["pricing_tier"],
    }
    await db.execute(text(nc.ASSIGN_PROGRAMS_SQL), params)


async def draft_email(db: Db, values: dict[str, Any]) -> None:
    """The welcome email draft row (nothing is sent)."""
    await db.execute(text(nc.EMAIL_DRAFT_SQL), nc.welcome_email(values))


async def post_actions(db: Db, values: dict[str, Any], status: str, started_at: str) -> None:
    """Run log, reflexion, the one completion record and the verify rows, in one transaction."""
    params = nc.post_params(values, status, started_at)
    for sql in (nc.RUN_LOG_SQL, nc.REFLEXION_SQL, nc.COMPLETION_SQL, nc.VERIFY_SQL):
        await db.execute(text(sql), params)


# --- the first-quote-context bundle -------------------------------------------------------


@cache
def bundle_step() -> ObjectPutStep:
    """The contract's bundle step (read once per process)."""
    step = next(s for s in load_contract(CONTRACT).fan_out if s.id == nc.BUNDLE_STEP)
    assert isinstance(step, ObjectPutStep), f"{nc.BUNDLE_STEP} is no object_put step"
    return step


async def assemble_bundle(
    db: Db, values: dict[str, Any], ids: dict[str, Any], started_at: str
) -> dict[str, str]:
    """The step's read-only queries in the caller's transaction, then its key, canonical
    bytes (as text) and their SHA-256: what the engine records, so a retry PUTs the same.
    `ids`, `started_at`: see new_customer.bundle_scope."""
    step = bundle_step()
    scope = nc.bundle_scope(values, ids, started_at)
    results: dict[str, object] = {}
    for query in step.queries:
        rows = (await db.execute(text(query.sql), bind(query.sql, scope))).mappings().all()
        results[query.name] = shape_context_result(query, [dict(row) for row in rows])
    body = object_body(object_document(step, scope, results))
    return {"key": object_key(step, scope), "body": body.data.decode(), "sha256": body.sha256}


class ObjectStoreRefused(Exception):
    """The store refused the PUT (credentials, bucket, checksum): retrying cannot help."""


async def put_bundle(store: ObjectStore, bundle: dict[str, str]) -> str:
    """PUT the recorded bytes under the recorded key with their hash; the ETag."""
    body = ObjectBody(bundle["body"].encode(), bundle["sha256"])
    try:
        return await store.put(bundle["key"], body)
    except ObjectStoreError as exc:
        if exc.transient:
            raise
        raise ObjectStoreRefused(str(exc)) from exc


# --- NetSuite -----------------------------------------------------------------------------


class NetSuiteRetryable(Exception):
    """No answer, a 429 or a 5xx: the upsert may be repeated (it is keyed by external id)."""


class NetSuiteRefused(Exception):
    """A 4xx NetSuite will answer again: retrying cannot help."""


def netsuite_from_env(http: httpx.AsyncClient) -> SuiteTalkRest:
    """Cascade's signed transport, configured as ns-pusher is (`CASCADE_NETSUITE_*`)."""
    credentials = TbaCredentials(
        account_id=os.environ["CASCADE_NETSUITE_ACCOUNT_ID"],
        consumer_key=SecretStr(os.environ["CASCADE_NETSUITE_CONSUMER_KEY"]),
        consumer_secret=SecretStr(os.environ["CASCADE_NETSUITE_CONSUMER_SECRET"]),
        token_id=SecretStr(os.environ["CASCADE_NETSUITE_TOKEN_ID"]),
        token_secret=SecretStr(os.environ["CASCADE_NETSUITE_TOKEN_SECRET"]),
    )
    timeout = float(os.environ.get("CASCADE_NETSUITE_TIMEOUT_S", "10"))
    return SuiteTalkRest(
        http, os.environ["CASCADE_NETSUITE_BASE_URL"], TbaAuth(credentials), timeout
    )


def _raise_for(answer: httpx.Response | object, what: str) -> httpx.Response:
    if not isinstance(answer, httpx.Response):
        raise NetSuiteRetryable(f"{what}: {getattr(answer, 'error', answer)}")
    if answer.status_code == 429 or answer.status_code >= 500:
        raise NetSuiteRetryable(f"{what}: {answer.status_code} {answer.text[:200]}")
    if not answer.is_success:
        raise NetSuiteRefused(f"{what}: {answer.status_code} {answer.text[:500]}")
    return answer


async def upsert_customer(rest: SuiteTalkRest, body: dict[str, Any]) -> str:
    """ns-pusher's call: PUT by `eid:` (a repeat updates instead of creating), then GET the
    record for its internal id. Returns that id."""
    url = rest.record_url("customer", f"eid:{body['externalId']}")
    written = _raise_for(await rest.send("PUT", url, body), "PUT customer")
    location = written.headers.get("location") or ""
    ref = location.rstrip("/").rpartition("/")[2] or f"eid:{body['externalId']}"
    read = _raise_for(
        await rest.send("GET", rest.record_url("customer", ref), None), "GET customer"
    )
    return str(read.json()["id"])
