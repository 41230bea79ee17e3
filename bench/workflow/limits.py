"""The servers' own limits, measured beside the figures on the bench profile's servers.

PostgreSQL: pgbench with a one-row upsert per transaction (fsync'd, synchronous_commit on,
as the stack runs), 1 and 8 clients for a few seconds. Kafka: produce→consume round trip of
one record (acks=all, idempotent producer, as the stack produces), p50 over a few hundred.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy.engine import make_url

from bench.workflow.report import Limits, percentile
from cascade.devstack import postgres
from cascade.devstack.kafka import local_topic_settings
from cascade.devstack.kafka_inspect import delete_topics
from cascade.shared.topic_admin.provision import provision
from tests.faults.harness import Servers, _dsn, ensure_servers

ONE_ROW = """\\set id random(1, 100000)
INSERT INTO limit_rows (id, n) VALUES (:id, 1)
  ON CONFLICT (id) DO UPDATE SET n = limit_rows.n + 1;
"""
_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")


def pgbench_tps(url: str, database: str, clients: int, seconds: int) -> float:
    """Transactions per second of the one-row script at `clients` connections."""
    bin_dir = postgres.find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL binaries (pgbench) under /usr/lib/postgresql")
    u = make_url(url)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "one_row.sql"
        script.write_text(ONE_ROW)
        argv = [
            str(bin_dir / "pgbench"), "-n", "-h", str(u.host), "-p", str(u.port),
            "-U", str(u.username), "-c", str(clients), "-j", str(min(clients, 2)),
            "-T", str(seconds), "-f", str(script), database,
        ]  # fmt: skip
        env = {**os.environ, "PGPASSWORD": str(u.password)}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    found = _TPS.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"pgbench failed: {done.stdout[-800:]}{done.stderr[-800:]}")
    return float(found.group(1))


async def postgres_limits(url: str, seconds: int = 4) -> tuple[float, float]:
    """(tps with 1 client, tps with 8 clients) in a scratch database, dropped after."""
    database = f"limits_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
        conn = await asyncpg.connect(_dsn(url, database))
        try:
            await conn.execute("CREATE TABLE limit_rows (id int PRIMARY KEY, n bigint NOT NULL)")
        finally:
            await conn.close()
        one = await asyncio.to_thread(pgbench_tps, url, database, 1, seconds)
        eight = await asyncio.to_thread(pgbench_tps, url, database, 8, seconds)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    return one, eight


async def kafka_round_trip(bootstrap: str, nodes: int, records: int = 300) -> float:
    """Median seconds from send to receipt of one record, one at a time."""
    topic = f"limits.{uuid.uuid4().hex[:8]}"
    await provision(bootstrap, [topic], local_topic_settings(nodes, partitions=1))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await producer.start()
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_end(tp)
        await consumer.position(tp)
        samples = []
        for i in range(records):
            t0 = time.monotonic()
            await producer.send_and_wait(topic, str(i).encode())
            await consumer.getone(tp)
            samples.append(time.monotonic() - t0)
    finally:
        await producer.stop()
        await consumer.stop()
        await delete_topics(bootstrap, [topic])
    return percentile(samples[10:], 50)  # the first few pay for connections


async def measure(servers: Servers) -> Limits:
    """Both limits on `servers` (started if needed)."""
    url, bootstrap = await asyncio.to_thread(ensure_servers, servers)
    one, eight = await postgres_limits(url)
    rtt = await kafka_round_trip(bootstrap, servers.kafka_nodes)
    return Limits(pg_tps_1=one, pg_tps_8=eight, kafka_rtt_s=rtt)
