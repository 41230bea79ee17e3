"""What an idle Cascade costs: CPU of every service process and PostgreSQL commits per second.

Usage: `.venv/bin/python bench/idle.py [--seconds 20] [--settle 10] [--source DIR ...]`

Starts the five services (intake, runner, approvals, ns-pusher, verifier) as real processes
with their default settings on the test profile's PostgreSQL and Kafka (or the servers
`CASCADE_DATABASE_URL` / `CASCADE_KAFKA_BOOTSTRAP` name), each stack with a database and a
topic prefix of its own, waits until every one is healthy and `--settle` seconds more
(consumer groups join), then, with no work at all, measures `--seconds` of CPU
(`/proc/<pid>/stat`, user + system, all threads) per process and `pg_stat_database
.xact_commit` of that database. `/healthz` of each service is asked every 10 s meanwhile,
like a supervisor's health probe (docker-compose's interval).

`--source` runs the services from another checkout of the repository (e.g. `git archive
main | tar -x -C /tmp/main`), so "before" and "after" are measured side by side in one
invocation: the stacks run one after another and the table prints both. PostgreSQL's idle
backends flush their statistics up to ~10 s late, so commits/s is exact only to about
±1 per backend per window; use a longer `--seconds` for a finer figure. It prints numbers;
nothing here asserts them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from cascade.devstack.infra import infra_up
from cascade.devstack.kafka import default_nodes, local_topic_settings
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.paths import repo_root
from cascade.devstack.pytest_plugin import SERVICE_MODULES
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.topic_admin.provision import provision
from cascade.shared.topics import all_topic_names

SERVICES = ("intake", "runner", "approvals", "ns_pusher", "verifier")
PROBE_INTERVAL_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Figures:
    """One stack's idle cost over the window."""

    source: str
    seconds: float
    cores: dict[str, float]
    commits_per_s: float

    @property
    def total_cores(self) -> float:
        """CPU cores the whole stack used while idle."""
        return sum(self.cores.values())


def _dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(False)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def src_path(source: Path) -> str:
    """PYTHONPATH that makes `python -m cascade.<service>` import from `source`."""
    folders = [source / "libs" / "shared" / "src", source / "tools" / "devstack" / "src"]
    folders += sorted(p for p in (source / "services").glob("*/src"))
    folders += [source / "tools" / "netsuite-sim" / "src"]
    return os.pathsep.join(str(f) for f in folders)


async def xact_commits(admin_url: str, database: str) -> int:
    """Committed transactions of `database` so far (read from another database)."""
    conn = await asyncpg.connect(_dsn(admin_url, "postgres"))
    try:
        value = await conn.fetchval(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = $1", database
        )
    finally:
        await conn.close()
    return int(value or 0)


def probe(procs: list[ServiceProcess]) -> None:
    """Ask every service's /healthz once, as a supervisor would."""
    for proc in procs:
        try:
            with urllib.request.urlopen(proc.health_url, timeout=5) as answer:  # noqa: S310
                answer.read()
        except OSError:
            pass


async def measure(
    source: Path,
    admin_url: str,
    bootstrap: str,
    seconds: float,
    settle: float,
    logs: Path,
    services: tuple[str, ...] = SERVICES,
    extra_env: dict[str, str] | None = None,
) -> Figures:
    """Start one idle stack from `source`, measure it, tear it down."""
    tag = uuid.uuid4().hex[:10]
    database = f"idle_{tag}"
    admin = await asyncpg.connect(_dsn(admin_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    url = make_url(admin_url).set(database=database).render_as_string(False)
    await asyncio.to_thread(upgrade_to_head, url)
    prefix = f"i{tag}."
    topics = all_topic_names(prefix)
    await provision(bootstrap, topics, local_topic_settings(default_nodes("test")))
    env = {
        "CASCADE_DATABASE_URL": url,
        "CASCADE_KAFKA_BOOTSTRAP": bootstrap,
        "CASCADE_TOPIC_PREFIX": prefix,
        "CASCADE_CONSUMER_GROUP_PREFIX": f"ig{tag}",
        "CASCADE_CONTRACTS_DIR": str(source / "contracts"),
        "CASCADE_ADMIN_TOKEN": "idle-bench-token",
        "PYTHONPATH": src_path(source),
        **(extra_env or {}),
    }
    procs: list[ServiceProcess] = []
    try:
        for name in services:
            module, port_var = SERVICE_MODULES[name]
            port = free_port()
            proc_env = {**env, port_var: str(port)}
            proc = ServiceProcess(name, module, port, proc_env, logs / f"{tag}-{name}.log")
            proc.start()
            procs.append(proc)
        for proc in procs:
            await asyncio.to_thread(proc.wait_healthy, 120.0)
        await asyncio.sleep(settle)
        pids = {p.name: p.proc.pid for p in procs if p.proc is not None}
        cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
        commits0 = await xact_commits(admin_url, database)
        started = time.monotonic()
        next_probe = started
        while (now := time.monotonic()) < started + seconds:
            if now >= next_probe:
                await asyncio.to_thread(probe, procs)
                next_probe += PROBE_INTERVAL_S
            await asyncio.sleep(min(1.0, started + seconds - now))
        elapsed = time.monotonic() - started
        commits1 = await xact_commits(admin_url, database)
        cores = {name: (cpu_seconds(pid) - cpu0[name]) / elapsed for name, pid in pids.items()}
        return Figures(str(source), elapsed, cores, (commits1 - commits0) / elapsed)
    finally:
        for proc in procs:
            await asyncio.to_thread(proc.stop, 10.0)
        await delete_topics(bootstrap, topics)
        admin = await asyncpg.connect(_dsn(admin_url, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()


def table(results: list[Figures]) -> str:
    """The figures side by side, one column per source."""
    head = ["process", *(f"[{i}] cores" for i in range(len(results)))]
    rows = [[name, *(f"{r.cores.get(name, 0.0):.4f}" for r in results)] for name in SERVICES]
    rows.append(["TOTAL cores", *(f"{r.total_cores:.4f}" for r in results)])
    rows.append(["PG commits/s", *(f"{r.commits_per_s:.2f}" for r in results)])
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    legend = [f"[{i}] {r.source} ({r.seconds:.1f} s window)" for i, r in enumerate(results)]
    header = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    return "\n".join([*legend, "", header, *lines])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--settle", type=float, default=10.0)
    parser.add_argument(
        "--service", action="append", choices=SERVICES, help="measure only these services"
    )
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for every service process"
    )
    parser.add_argument(
        "--source", type=Path, action="append", help="checkout(s) to run; default: this one"
    )
    args = parser.parse_args()
    endpoints = await asyncio.to_thread(infra_up, "test")
    sources = args.source or [repo_root()]
    results = []
    with tempfile.TemporaryDirectory(prefix="cascade-idle-") as tmp:
        for source in sources:
            figures = await measure(
                source.resolve(),
                endpoints.database_url,
                endpoints.kafka_bootstrap,
                args.seconds,
                args.settle,
                Path(tmp),
                tuple(args.service or SERVICES),
                dict(item.split("=", 1) for item in args.env),
            )
            results.append(figures)
    print(table(results))


if __name__ == "__main__":
    asyncio.run(main())
