"""How fast the inbox's first page renders with 10 000 proposals in the database.

Usage: `.venv/bin/python bench/inbox_first_page.py [--proposals 10000] [--repeat 50]`

Uses the test profile's PostgreSQL and Kafka (started if needed), a fresh database of its own
(dropped at the end), and the approvals service as a real process; prints the timings of
`GET /` (HTTP, session cookie, the whole page) and of the inbox query alone.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cascade.approvals.passwords import hash_password
from cascade.approvals.queries import Page
from cascade.approvals.ui_queries import InboxFilter, inbox
from cascade.devstack.infra import infra_up
from cascade.devstack.kafka import acreate_topics
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.paths import repo_root
from cascade.devstack.pytest_plugin import settings_env
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.settings import Settings
from cascade.shared.topics import all_topic_names

PASSWORD = secrets.token_urlsafe(16)
INSERT = """
WITH runs AS (
  INSERT INTO workflow_runs (run_id, workflow_type, contract_version, status, inputs,
                             requested_at)
  SELECT gen_random_uuid(), 'new_customer', 2, 'awaiting_approval',
         jsonb_build_object('company_name', 'Company ' || g), now() - g * interval '1 minute'
  FROM generate_series(1, :n) AS g
  RETURNING run_id, requested_at
)
INSERT INTO proposed_actions (run_id, action_type, entity_ref, approver, status, payload,
                              payload_sha256, version, expires_at, created_at)
SELECT run_id, 'workflow_new_customer', 'workflow:new_customer:run_' || run_id, 'mike',
       (ARRAY['pending', 'pending', 'approved', 'rejected'])[1 + (random() * 3)::int],
       jsonb_build_object('warnings', jsonb_build_array('valid_email'), 'inputs', '{}'::jsonb),
       repeat('a', 64), 1, requested_at + interval '1 day', requested_at
FROM runs
"""


async def create_database(admin_url: str, name: str) -> str:
    """A new, migrated database; returns its SQLAlchemy URL."""
    dsn = make_url(admin_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_head, url)
    return url


async def drop_database(admin_url: str, name: str) -> None:
    """Remove the benchmark's database."""
    dsn = make_url(admin_url).set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def seed(settings: Settings, count: int) -> float:
    """Insert `count` runs with one proposal each; returns the query-only median (ms)."""
    engine = build_engine(settings, application_name="cascade-bench")
    factory = build_session_factory(engine)
    async with factory() as session, session.begin():
        await session.execute(text(INSERT), {"n": count})
        await session.execute(text("ANALYZE"))
    timings = []
    for _ in range(20):
        async with factory() as session:
            started = time.perf_counter()
            await inbox(session, InboxFilter(), Page(50, 0))
            timings.append((time.perf_counter() - started) * 1000)
    await engine.dispose()
    return statistics.median(timings)


async def time_pages(port: int, repeat: int) -> list[float]:
    """Log in, then time `GET /` `repeat` times (ms)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        login = await client.get("/login")
        token = login.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        done = await client.post("/login", data={"csrf_token": token, "password": PASSWORD})
        assert done.status_code == 303, done.text
        await client.get("/")
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            page = await client.get("/")
            timings.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200
            assert page.text.count("<tr id=") == 50, "a full first page"
    return timings


async def main(count: int, repeat: int) -> None:
    """Seed, start approvals, measure, print, clean up."""
    endpoints = infra_up("test")
    name = f"bench_{uuid.uuid4().hex[:10]}"
    url = await create_database(endpoints.database_url, name)
    settings = Settings(
        database_url=url, kafka_bootstrap=endpoints.kafka_bootstrap, topic_prefix=f"{name}.",
        consumer_group_prefix=name, contracts_dir=repo_root() / "contracts",
    )  # fmt: skip
    process: ServiceProcess | None = None
    topics = all_topic_names(settings.topic_prefix)
    await acreate_topics(endpoints.kafka_bootstrap, topics)
    try:
        query_ms = await seed(settings, count)
        env = {**settings_env(settings), "CASCADE_APPROVALS_PORT": str(port := free_port()),
               "CASCADE_ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
               "CASCADE_UI_INSECURE_COOKIES": "true"}  # fmt: skip
        log = Path(tempfile.mkdtemp()) / "approvals.log"
        process = ServiceProcess("approvals", "cascade.approvals", port, env, log)
        process.start()
        process.wait_healthy()
        pages = await time_pages(port, repeat)
    finally:
        if process is not None:
            process.stop()
        await drop_database(endpoints.database_url, name)
        await delete_topics(endpoints.kafka_bootstrap, topics)
    pages.sort()
    print(f"proposals in database: {count} (about half pending); inbox page size 50")
    print(f"inbox query alone, median of 20: {query_ms:.1f} ms")
    print(
        f"GET / (whole page over HTTP), {repeat} runs: median {statistics.median(pages):.1f} ms, "
        f"p95 {pages[int(len(pages) * 0.95) - 1]:.1f} ms, max {pages[-1]:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.proposals, arguments.repeat))
