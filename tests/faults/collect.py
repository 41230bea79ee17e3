"""Read what a fault run left behind (database, topics from the earliest offset, the
simulator's store, the SMTP sink) into a checker `Observed`; wait for the stack to drain."""

from __future__ import annotations

import time
import uuid
from collections import Counter

import asyncpg

from cascade.devstack import objectstore
from cascade.devstack.kafka_inspect import group_lag, read_all
from cascade.shared.envelope import Envelope
from cascade.shared.objectstore import open_object_store, sha256_hex
from cascade.shared.topics import DLQ_SUFFIX, Topic, dlq_name, topic_name
from tests.faults.checker import (
    TERMINAL,
    BundleRow,
    CustomerRow,
    EmailSendRow,
    Injected,
    Mail,
    Observed,
    ProposalRow,
    Report,
    WireEvent,
    check,
)
from tests.faults.harness import FaultStack, _dsn
from tests.faults.load import LoadClient
from tests.faults.timeline import hold

#: (consumer name -> group suffix, topic): every consumer of the stack, for the lag check.
CONSUMERS = (
    ("intake.upstream", Topic.INTAKE_REQUESTED),
    ("runner.workflow_requested", Topic.WORKFLOW_REQUESTED),
    ("runner.proposal_approved", Topic.PROPOSAL_APPROVED),
    ("runner.proposal_rejected", Topic.PROPOSAL_REJECTED),
    ("runner.ns_push_result", Topic.NS_PUSH_RESULT),
    ("approvals_email", Topic.PROPOSAL_APPROVED),
    ("ns_pusher", Topic.NS_PUSH),
    ("ns_pusher_retry", Topic.NS_PUSH_RETRY),
    ("verifier.workflow_completed", Topic.WORKFLOW_COMPLETED),
    ("verifier.workflow_partial", Topic.WORKFLOW_PARTIAL),
)
#: Violations no amount of waiting repairs.
PERMANENT = frozenset(
    {
        "duplicate_customer",
        "duplicate_netsuite_record",
        "duplicate_program",
        "email_sent_twice",
        "email_sent_unapproved",
        "bundle_bytes_differ",
        "duplicate_bundle",
        "forged_netsuite_id",
        "idempotency_broken",
        "orphan_netsuite_record",
    }
)
TERMINAL_TOPICS = (Topic.WORKFLOW_COMPLETED, Topic.WORKFLOW_PARTIAL, Topic.WORKFLOW_FAILED)


async def _connect(stack: FaultStack) -> asyncpg.Connection:
    assert stack.settings is not None
    return await asyncpg.connect(_dsn(stack.settings.database_url, f"f_{stack.tag}"))


async def _email_sends(conn: asyncpg.Connection) -> list[EmailSendRow]:
    # `email_sends` holds what the SMTP server accepted; a durable email job that failed for
    # good (visible on the page, with an alert and a Resend) is in `email_jobs`.
    sent = await conn.fetch("SELECT proposal_id, message_id FROM email_sends")
    failed = await conn.fetch(
        "SELECT proposal_id, message_id FROM email_jobs WHERE status = 'failed'"
    )
    return [EmailSendRow(r["proposal_id"], r["message_id"] or "", "sent") for r in sent] + [
        EmailSendRow(r["proposal_id"], r["message_id"] or "", "failed") for r in failed
    ]


async def read_database(stack: FaultStack, obs: Observed) -> None:
    """Runs, ledger, customers, programs, proposals, email sends, outbox, verify results."""
    conn = await _connect(stack)
    try:
        obs.intake_keys = {
            r["idempotency_key"]: str(r["run_id"])
            for r in await conn.fetch("SELECT idempotency_key, run_id FROM intake_requests")
        }
        obs.runs = {
            str(r["run_id"]): r["status"]
            for r in await conn.fetch("SELECT run_id, status FROM workflow_runs")
        }
        obs.ledger = [
            (str(r["run_id"]), r["type"], r["idempotency_key"])
            for r in await conn.fetch("SELECT run_id, type, idempotency_key FROM events")
        ]
        # The contract's insert leaves created_by_run_id empty; the NetSuite externalId it
        # writes (`cascade-customer-<run_id>`) names the run.
        obs.customers = [
            CustomerRow(r["id"], r["run_id"], r["external_id"], r["netsuite_id"])
            for r in await conn.fetch(
                "SELECT id, external_id, netsuite_id, COALESCE(created_by_run_id::text,"
                " substring(external_id from '^cascade-customer-(.*)$')) AS run_id"
                " FROM customers WHERE created_by_run_id IS NOT NULL"
                " OR external_id LIKE 'cascade-customer-%'"
            )
        ]
        obs.programs = [
            (r["customer_id"], r["program_id"])
            for r in await conn.fetch("SELECT customer_id, program_id FROM customer_programs")
        ]
        obs.proposals = [
            ProposalRow(r["id"], str(r["run_id"]), r["action_type"], r["status"])
            for r in await conn.fetch(
                "SELECT id, run_id, action_type, status FROM proposed_actions"
            )
        ]
        obs.bundles = [
            BundleRow(str(r["run_id"]), r["object_key"], r["status"], r["sha256"])
            for r in await conn.fetch("SELECT run_id, object_key, status, sha256 FROM object_puts")
        ]
        obs.email_sends = await _email_sends(conn)
        obs.outbox_unsent = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        obs.verify = [
            (str(r["run_id"]), r["check_name"], r["status"])
            for r in await conn.fetch(
                "SELECT run_id, check_name, status FROM workflow_verify_results"
            )
        ]
    finally:
        await conn.close()


def _envelope_fields(value: bytes) -> tuple[str | None, str | None]:
    try:
        envelope = Envelope.from_bytes(value)
    except Exception:
        return None, None
    return str(envelope.run_id), envelope.idempotency_key


async def read_topics(stack: FaultStack, obs: Observed) -> None:
    """Terminal events and dead letters from the earliest offset; every consumer's lag."""
    assert stack.settings is not None
    bootstrap, prefix = stack.settings.kafka_bootstrap, stack.settings.topic_prefix
    # What the suite itself published there (poison, forged "ended" events) is not the
    # system's output: the checker judges those through the DLQ and the decoys.
    injected = {i.payload for i in (*obs.poisoned, *obs.forged)}
    obs.wire = []
    for topic in TERMINAL_TOPICS:
        for _key, value in await read_all(bootstrap, topic_name(prefix, topic)):
            if value in injected:
                continue
            run_id, key = _envelope_fields(value)
            obs.wire.append(WireEvent(str(topic), run_id, key))
    obs.dlq = []
    for topic in Topic:
        physical = dlq_name(topic_name(prefix, topic))
        source = physical[len(prefix) : -len(DLQ_SUFFIX)]
        obs.dlq += [(source, value) for _key, value in await read_all(bootstrap, physical)]
    obs.lag = {}
    for name, topic in CONSUMERS:
        group = f"{stack.settings.consumer_group_prefix}.{name}"
        obs.lag[f"{name} {topic}"] = await group_lag(bootstrap, group, topic_name(prefix, topic))


async def read_objects(stack: FaultStack, obs: Observed) -> None:
    """What the object store really holds under each stored bundle's key."""
    settings = objectstore.endpoint_settings(stack.servers.s3)
    read: list[BundleRow] = []
    async with open_object_store(settings) as store:
        for bundle in obs.bundles:
            data = await store.get(bundle.key) if bundle.status == "stored" else None
            found = None if data is None else sha256_hex(data)
            read.append(BundleRow(bundle.run_id, bundle.key, bundle.status, bundle.sha256, found))
    obs.bundles = read


async def read_netsuite(stack: FaultStack, obs: Observed) -> None:
    """The simulator's stored customers (what NetSuite really holds)."""
    answer = await stack.sim("GET", "/_sim/records/customer")
    answer.raise_for_status()
    obs.ns_records = [(str(i["id"]), i.get("externalId")) for i in answer.json()["items"]]


async def observe(
    stack: FaultStack,
    load: LoadClient,
    injected: list[Injected],
    faults: Counter[str] | None = None,
) -> Observed:
    """Everything the checker needs, read now."""
    obs = Observed(
        answers=list(load.answers),
        decoys=set(load.decoys),
        poisoned=[i for i in injected if not i.kind.startswith("forged_")],
        forged=[i for i in injected if i.kind.startswith("forged_")],
        faults=Counter(faults or {}),
    )
    await read_database(stack, obs)
    await read_topics(stack, obs)
    await read_netsuite(stack, obs)
    await read_objects(stack, obs)
    assert stack.sink is not None
    obs.mails = [Mail(m.message_id, m.recipients) for m in stack.sink.received()]
    return obs


async def _quiet(stack: FaultStack, load: LoadClient) -> bool:
    """The cheap part of "drained" (database only): nothing left to do but wait."""
    conn = await _connect(stack)
    try:
        runs = await conn.fetch("SELECT run_id, status FROM workflow_runs")
        busy = [
            r
            for r in runs
            if r["status"] not in TERMINAL
            and not (r["status"] == "awaiting_approval" and str(r["run_id"]) in load.decoys)
        ]
        pending = await conn.fetch("SELECT run_id FROM proposed_actions WHERE status = 'pending'")
        undecided = [p for p in pending if str(p["run_id"]) not in load.decoys]
        unsent = await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        verify = await conn.fetchval(
            "SELECT count(*) FROM workflow_verify_results WHERE status IN ('pending', 'running')"
        )
        unstored = await conn.fetchval(
            "SELECT count(*) FROM object_puts WHERE status IN ('queued', 'putting', 'retrying')"
        )
        unmailed = await conn.fetchval(
            "SELECT count(*) FROM proposed_actions p WHERE p.status = 'approved'"
            " AND p.action_type = 'propose_email_to_customer'"
            " AND NOT EXISTS (SELECT 1 FROM email_sends s WHERE s.proposal_id = p.id)"
            " AND NOT EXISTS (SELECT 1 FROM email_jobs j"
            " WHERE j.proposal_id = p.id AND j.status = 'failed')"
        )
    finally:
        await conn.close()
    accepted = {a.run_id for a in load.answers if a.run_id is not None}
    missing = accepted - {str(r["run_id"]) for r in runs}
    return not (busy or undecided or unsent or verify or unmailed or unstored or missing)


async def drain(
    stack: FaultStack,
    load: LoadClient,
    injected: list[Injected],
    faults: Counter[str] | None = None,
    within: float = 180.0,
) -> Report:
    """Keep approving until the stack is quiet and every invariant holds, or `within`
    seconds pass; the checker's report of the last look (violations say what is stuck)."""
    deadline = time.monotonic() + within
    report: Report | None = None
    same: list[set[str]] = []
    while True:
        try:
            await load.approve_pending()
            quiet = await _quiet(stack, load)
        except (OSError, asyncpg.PostgresError):
            quiet = False  # a server is still coming back
        if quiet or time.monotonic() >= deadline:
            report = check(await observe(stack, load, injected, faults))
            if report.ok or time.monotonic() >= deadline:
                return report
            # Quiet, and only violations that cannot heal (a duplicate stays a duplicate),
            # the same three looks running: waiting out the deadline tells nothing more.
            same = [*same[-2:], report.codes()]
            if len(same) == 3 and all(c == same[0] for c in same) and same[0] <= PERMANENT:
                return report
            print(f"faults: quiet but not yet consistent: {sorted(report.codes())}", flush=True)
        else:
            same = []
        await hold(1.0)  # between two looks: a drain rings no bell


def new_run_ids(count: int) -> list[str]:
    """Run ids no run has (targets of forged events that must create nothing)."""
    return [str(uuid.uuid4()) for _ in range(count)]
