"""How fast Mike's pages render over HTTP with 10,000 proposals and 100,000 runs.

Usage: `make bench-ui` or `.venv/bin/python bench/ui_pages.py [--proposals 10000] [--runs 100000]
[--repeat 50] [--explain]`

Uses the test profile's PostgreSQL and Kafka (started if needed), a fresh database of its own
(dropped at the end), bulk-loaded with COPY: runs with their business subject (title,
summary, twin keys, search text), proposals with realistic payloads (inputs, context,
preconditions, warnings, what changes and the `presentation` section), the decided ones'
audit rows and the runs' steps. Then the approvals service runs as a real process; the
script logs in and prints the median and p95 of each page (`GET`, session cookie, the whole
HTML) and, with `--explain`, EXPLAIN ANALYZE of the queries behind the lists and the search.
It prints numbers; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from cascade.approvals.passwords import hash_password
from cascade.devstack.infra import infra_up
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.paths import repo_root
from cascade.devstack.pytest_plugin import settings_env
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.shared.canonical import sha256_of
from cascade.shared.contract import what_changes
from cascade.shared.contract.loader import load_contract
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.normalize import normalize_company_name, normalize_email
from cascade.shared.settings import Settings
from cascade.shared.topic_admin.provision import provision
from cascade.shared.topics import all_topic_names

PASSWORD = secrets.token_urlsafe(16)
NAMES = ["Acme", "Initech", "Globex", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
         "Wonka", "Tyrell", "Cyberdyne", "Soylent", "Aperture", "Gringotts", "Oscorp"]  # fmt: skip
SUFFIXES = ["Corp", "LLC", "Inc.", "GmbH", "Ltd", "Holdings", "& Sons", "Group"]
TIERS = ["standard", "silver", "gold", "platinum"]
PROGRAMS = [{"id": 1, "name": "Welcome kit"}, {"id": 2, "name": "Loyalty points"}]
# How a new-customer proposal ends up (the rest of the runs are price_changed, no gate).
PROPOSAL_MIX = [("pending", 0.3), ("approved", 0.5), ("rejected", 0.15), ("expired", 0.05)]
RUN_OF = {"pending": "awaiting_approval", "approved": "completed", "rejected": "rejected",
          "expired": "expired"}  # fmt: skip
STEPS = ("write_d1", "write_ns", "welcome_email")


@dataclass(frozen=True)
class Customer:
    """One generated new customer."""

    number: int
    name: str
    email: str
    tier: str
    credit: str

    @property
    def inputs(self) -> dict[str, str]:
        """What sales submitted."""
        return {
            "company_name": self.name, "contact_email": self.email,
            "contact_phone": f"+1 555 {self.number % 10_000:04d}",
            "billing_address": f"{self.number} Market Street, Springfield",
            "credit_limit": self.credit, "terms": "Net 30", "sales_rep": "Dana Sales",
            "pricing_tier": self.tier,
        }  # fmt: skip

    @property
    def summary(self) -> list[dict[str, str]]:
        """The display pairs lists show."""
        return [{"label": "Email", "value": self.email}, {"label": "Tier", "value": self.tier},
                {"label": "Credit limit", "value": self.credit},
                {"label": "Terms", "value": "Net 30"}]  # fmt: skip


def customers(count: int, rng: random.Random) -> Iterator[Customer]:
    """`count` customers with names that repeat in families (so searches find several)."""
    for n in range(count):
        name = f"{rng.choice(NAMES)} {n} {rng.choice(SUFFIXES)}"
        slug = normalize_company_name(name).replace(" ", "-")
        email = f"orders@{slug}.example" if rng.random() > 0.03 else "not-an-email"
        credit = f"{rng.randrange(1_000, 100_000)}.00"
        yield Customer(n, name, email, rng.choice(TIERS), credit)


def payload(run_id: uuid.UUID, c: Customer, changes: list[dict[str, str]]) -> dict[str, Any]:
    """A new-customer proposal as the runner stages it, with its presentation section."""
    warned = c.email == "not-an-email"
    rules = [("no_duplicate", "block", True), ("valid_email", "warn", not warned),
             ("known_terms", "block", True), ("default_terms_configured", "block", True),
             ("tier_has_programs", "warn", True)]  # fmt: skip
    return {
        "workflow_type": "new_customer", "contract_version": 2, "run_id": str(run_id),
        "inputs": c.inputs,
        "context": {"default_terms": 3, "requested_terms": 3, "default_programs": PROGRAMS,
                    "existing_by_name": [], "existing_by_email": [], "prior_reflexions": []},
        "preconditions": [{"name": n, "severity": s, "rule": f"{n} rule", "value": ok,
                           "passed": ok, "message": None if ok else f"{n} failed"}
                          for n, s, ok in rules],
        "warnings": ["valid_email"] if warned else [],
        "what_changes": changes,
        "presentation": {
            "title": c.name, "summary": c.summary,
            "sentence": f"Create {c.name} in the mirror and in NetSuite — {c.tier} tier, "
                        f"Net 30, credit {c.credit}; draft a welcome email to {c.email}",
            "changes": [{"system": "NetSuite", "resource": "customer", "says": f"create {c.name}"},
                        {"system": "Email", "resource": "welcome", "says": f"to {c.email}"}],
            "plumbing": changes,
            "warnings": [{"name": "valid_email", "message": "not an email address",
                          "downstream": "NetSuite refuses it (400 INVALID_CONTENT)"}]
                        if warned else [],
            "queries": [{"name": "existing_by_name", "sql": "SELECT id FROM customers WHERE "
                         "normalized_name = :company_name_normalized",
                         "params": {"company_name_normalized": normalize_company_name(c.name)},
                         "rows": []}],
            "statements": [{"step": "write_d1", "sql": "INSERT INTO customers (...) VALUES "
                            "(...)", "params": c.inputs}],
            "netsuite": [{"step": "write_ns", "record_type": "customer", "method": "PUT",
                          "path": f"/record/v1/customer/eid:cust-{c.number}",
                          "body": {"companyName": c.name, "email": c.email}}],
        },
    }  # fmt: skip


@dataclass
class Rows:
    """What COPY loads, table by table."""

    runs: list[tuple[Any, ...]]
    proposals: list[tuple[Any, ...]]
    steps: list[tuple[Any, ...]]


RUN_COLUMNS = ["run_id", "workflow_type", "contract_version", "status", "inputs", "context",
               "source", "requested_at", "started_at", "completed_at", "error", "created_at",
               "updated_at", "title", "summary", "twin_keys", "search_text"]  # fmt: skip
PROPOSAL_COLUMNS = ["run_id", "action_type", "entity_ref", "approver", "status", "payload",
                    "payload_sha256", "version", "expires_at", "decided_at", "decided_by",
                    "decision_reason", "created_at"]  # fmt: skip
STEP_COLUMNS = ["run_id", "step_id", "status", "attempts", "output", "started_at", "finished_at"]


def generate(proposals: int, runs: int, seed: int = 11) -> Rows:
    """Runs (the newest `proposals` of them new customers with a gate proposal each, the
    rest price changes), proposals and steps, spread over the last 100 days."""
    rng = random.Random(seed)
    contract = load_contract(repo_root() / "contracts" / "new_customer.yaml")
    changes = [vars(c) for c in what_changes(contract)]
    now = datetime.now(UTC)
    out = Rows([], [], [])
    people = customers(proposals, rng)
    for n in range(runs):
        run_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        at = now - timedelta(minutes=n * 1.44)  # 100,000 runs over 100 days, newest first
        if n < proposals:
            c = next(people)
            fate = rng.choices([s for s, _ in PROPOSAL_MIX], [w for _, w in PROPOSAL_MIX])[0]
            status = "partial" if fate == "approved" and c.email == "not-an-email" else RUN_OF[fate]
            body = payload(run_id, c, changes)
            keys = [normalize_company_name(c.name), normalize_email(c.email)]
            search = f"{c.name} {c.email} {c.tier} {c.number}".lower()
            out.runs.append(
                (
                    run_id,
                    "new_customer",
                    2,
                    status,
                    json.dumps(c.inputs),
                    json.dumps(body["context"]),
                    "sales_intake_form",
                    at,
                    at,
                    at,
                    None,
                    at,
                    at,
                    c.name,
                    json.dumps(c.summary),
                    keys,
                    search,
                )
            )
            decided = fate in ("approved", "rejected")
            out.proposals.append(
                (
                    run_id,
                    "workflow_new_customer",
                    f"workflow:new_customer:run_{run_id}",
                    "mike",
                    fate,
                    json.dumps(body),
                    sha256_of(body),
                    1,
                    at + timedelta(days=1),
                    at + timedelta(minutes=5) if decided else None,
                    "mike" if decided else None,
                    "duplicate account" if fate == "rejected" else None,
                    at,
                )
            )
            if fate == "approved":
                for step in STEPS:
                    out.steps.append((run_id, step, "done", 1, json.dumps({"ok": True}), at, at))
        else:
            sku = f"SKU-{n % 5000:05d}"
            inputs = {"sku": sku, "price": f"{rng.randrange(1, 500)}.99"}
            status = "completed" if rng.random() > 0.02 else "failed"
            out.runs.append(
                (
                    run_id,
                    "price_changed",
                    1,
                    status,
                    json.dumps(inputs),
                    None,
                    "pricing",
                    at,
                    at,
                    at,
                    None,
                    at,
                    at,
                    sku,
                    json.dumps([{"label": "Price", "value": inputs["price"]}]),
                    [sku],
                    f"{sku} {inputs['price']}".lower(),
                )
            )
    # A few hundred runs blocked as duplicates, the blocked view's rows.
    for i in range(0, min(runs, proposals), max(1, proposals // 300)):
        row = list(out.runs[i])
        if row[3] == "completed":
            row[3], row[10] = "blocked", "blocked by precondition no_duplicate"
            out.runs[i] = tuple(row)
    return out


AUDIT = """
INSERT INTO approval_audit (proposal_id, run_id, decision, actor, payload_sha256, version,
                            reason, remote_addr, created_at)
SELECT id, run_id, status, 'mike', payload_sha256, version, decision_reason, '127.0.0.1',
       decided_at
FROM proposed_actions WHERE status IN ('approved', 'rejected')
"""


async def connect(url: str) -> asyncpg.Connection:
    """asyncpg on a SQLAlchemy URL."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(dsn)


async def create_database(admin_url: str, name: str) -> str:
    """A new, migrated database; returns its SQLAlchemy URL."""
    conn = await connect(make_url(admin_url).set(database="postgres").render_as_string(False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, url)
    return url


async def drop_database(admin_url: str, name: str) -> None:
    """Remove the benchmark's database. Without FORCE: that would also have to end
    autovacuum workers, which a non-superuser role may not; the loaded tables have
    autovacuum off and every connection of ours is closed by now."""
    conn = await connect(make_url(admin_url).set(database="postgres").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


LOADED = ("workflow_runs", "proposed_actions", "workflow_run_steps", "approval_audit")


async def load(url: str, rows: Rows) -> None:
    """COPY the rows in, derive the audit rows, VACUUM ANALYZE (a settled database, as
    autovacuum would leave it; autovacuum itself is off so that it cannot hold up the drop)."""
    conn = await connect(url)
    try:
        for table in LOADED:
            await conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
        async with conn.transaction():
            await conn.copy_records_to_table("workflow_runs", records=rows.runs,
                                             columns=RUN_COLUMNS)  # fmt: skip
            await conn.copy_records_to_table("proposed_actions", records=rows.proposals,
                                             columns=PROPOSAL_COLUMNS)  # fmt: skip
            await conn.copy_records_to_table("workflow_run_steps", records=rows.steps,
                                             columns=STEP_COLUMNS)  # fmt: skip
            await conn.execute(AUDIT)
        for table in LOADED:
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()


# The queries behind the lists (as ui_queries / queries build them) and the likely search.
EXPLAIN = {
    "inbox first page": """SELECT p.id, r.workflow_type,
        coalesce(jsonb_array_length(p.payload -> 'warnings'), 0)
        FROM proposed_actions p JOIN workflow_runs r
        ON r.run_id = p.run_id WHERE p.status = 'pending'
        ORDER BY p.created_at DESC, p.id DESC LIMIT 50""",
    "runs first page": """SELECT run_id FROM workflow_runs
        ORDER BY requested_at DESC, run_id LIMIT 50""",
    "blocked view": """SELECT run_id FROM workflow_runs WHERE status = 'blocked'
        ORDER BY requested_at DESC LIMIT 50""",
    "search runs": """SELECT run_id FROM workflow_runs WHERE search_text LIKE '%initech 42%'
        ORDER BY requested_at DESC LIMIT 50""",
    # cascade.approvals.twins.twins_for, for the inbox's first page of pending proposals.
    "twins of a page": """SELECT mine.id, other.id FROM proposed_actions mine
        JOIN workflow_runs my_run ON my_run.run_id = mine.run_id
        JOIN proposed_actions other ON other.status = 'pending'
          AND other.action_type = mine.action_type AND other.run_id <> mine.run_id
        JOIN workflow_runs other_run ON other_run.run_id = other.run_id
        WHERE mine.id IN (SELECT id FROM proposed_actions WHERE status = 'pending'
                          ORDER BY created_at DESC, id DESC LIMIT 50)
          AND mine.status = 'pending' AND my_run.twin_keys IS NOT NULL
          AND other_run.twin_keys && my_run.twin_keys
        ORDER BY mine.id, other.id""",
}


async def explain(url: str) -> None:
    """EXPLAIN ANALYZE each query above."""
    conn = await connect(url)
    try:
        for name, sql in EXPLAIN.items():
            plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            print(f"\n-- {name}\n" + "\n".join(r[0] for r in plan))
    finally:
        await conn.close()


async def log_in(client: httpx.AsyncClient) -> None:
    """The login form, with its CSRF token."""
    login = await client.get("/login")
    token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    done = await client.post("/login", data={"csrf_token": token, "password": PASSWORD})
    assert done.status_code == 303, done.text


async def time_page(client: httpx.AsyncClient, path: str, repeat: int) -> tuple[int, list[float]]:
    """The status of `path` and `repeat` timings (ms) after one warm-up."""
    status = (await client.get(path)).status_code
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = await client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == status
    return status, sorted(timings)


async def pending_proposal(url: str) -> int:
    """A pending proposal in the middle of the queue."""
    conn = await connect(url)
    try:
        ids = await conn.fetch("SELECT id FROM proposed_actions WHERE status = 'pending'")
    finally:
        await conn.close()
    return int(ids[len(ids) // 2]["id"])


async def measure(port: int, proposal: int, repeat: int) -> list[tuple[str, str, int, list[float]]]:
    """Every page of the table, timed."""
    pages = [
        ("inbox first page", "/"),
        ("proposal page", f"/proposals/{proposal}"),
        ("runs first page", "/runs"),
        ("blocked view", "/blocked"),
        ("search", "/?status=all&q=initech+42"),
    ]
    results = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        await log_in(client)
        for name, path in pages:
            status, timings = await time_page(client, path, repeat)
            results.append((name, path, status, timings))
    return results


def table(results: list[tuple[str, str, int, list[float]]]) -> str:
    """The timings as a Markdown table."""
    lines = ["| page | path | HTTP | median ms | p95 ms | max ms |", "|---|---|---|---|---|---|"]
    for name, path, status, t in results:
        p95 = t[max(0, int(len(t) * 0.95) - 1)]
        lines.append(f"| {name} | `{path}` | {status} | {statistics.median(t):.1f} | "
                     f"{p95:.1f} | {t[-1]:.1f} |")  # fmt: skip
    return "\n".join(lines)


async def main(proposals: int, runs: int, repeat: int, show_plans: bool) -> None:
    """Seed, start approvals, measure, print, clean up."""
    endpoints = infra_up("test")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    started = time.perf_counter()
    rows = generate(proposals, runs)
    url = await create_database(endpoints.database_url, name)
    settings = Settings(
        database_url=url, kafka_bootstrap=endpoints.kafka_bootstrap, topic_prefix=f"{name}.",
        consumer_group_prefix=name, contracts_dir=repo_root() / "contracts",
    )  # fmt: skip
    process: ServiceProcess | None = None
    topics = all_topic_names(settings.topic_prefix)
    await provision(endpoints.kafka_bootstrap, topics, endpoints.topic_settings())
    try:
        await load(url, rows)
        seeded_s = time.perf_counter() - started
        if show_plans:
            await explain(url)
        env = {**settings_env(settings), "CASCADE_APPROVALS_PORT": str(port := free_port()),
               "CASCADE_ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
               "CASCADE_UI_INSECURE_COOKIES": "true"}  # fmt: skip
        log = Path(tempfile.mkdtemp()) / "approvals.log"
        process = ServiceProcess("approvals", "cascade.approvals", port, env, log)
        process.start()
        process.wait_healthy()
        results = await measure(port, await pending_proposal(url), repeat)
    finally:
        if process is not None:
            process.stop()
        await drop_database(endpoints.database_url, name)
        await delete_topics(endpoints.kafka_bootstrap, topics)
    pending = sum(1 for p in rows.proposals if p[4] == "pending")
    print(f"\n{len(rows.runs)} runs, {len(rows.proposals)} proposals ({pending} pending), "
          f"{len(rows.steps)} steps; generated and loaded in {seeded_s:.0f} s; "
          f"{repeat} requests per page after one warm-up; 404 = page not built yet; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")  # fmt: skip
    print(table(results))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queries")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.proposals, arguments.runs, arguments.repeat, arguments.explain))
