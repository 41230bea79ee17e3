"""The fault stack: its own PostgreSQL and Kafka, every service a real process, the NetSuite
simulator and an SMTP sink, all on loopback, with the knobs the injectors turn.

The servers are the devstack's (`cascade.devstack.postgres` / `kafka`) under a profile of
their own, `faults`, on ports apart from `dev`/`test` (PG 55533, Kafka 19292/19293): the
suite kills, pauses and restarts them, so it must never share the ones other tests use. The
ports are passed to `ensure_postgres` / `ensure_kafka` directly rather than through
`CASCADE_DEVSTACK_*_PORT`, so the services' environment carries no extra `CASCADE_*` name.
Each stack gets a fresh database and a fresh topic prefix on those servers. The workflow
benchmark (bench/workflow) runs the same stack on servers of its own (`Servers`, profile
`bench`), with the product's default settings.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from cascade.devstack import kafka, objectstore, postgres, procs
from cascade.devstack.infra import object_store_env
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.netsuite_sim import TEST_CREDENTIALS
from cascade.devstack.paths import repo_root
from cascade.devstack.pytest_plugin import SERVICE_MODULES, settings_env
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.shared.contract import event_sources, load_contracts
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.settings import Settings
from cascade.shared.topic_admin import kafka_io
from cascade.shared.topic_admin.provision import provision
from cascade.shared.topics import all_topic_names
from tests.faults.smtp_sink import SmtpSink
from tests.faults.timeline import hold

ADMIN_TOKEN = "faults-admin-token"
SERVICES = ("intake", "runner", "approvals", "ns_pusher", "verifier")


@dataclass(frozen=True)
class Servers:
    """A devstack profile of its own and its ports (the fault suite's, or the benchmark's)."""

    profile: str
    pg_port: int
    kafka_port: int
    kafka_controller_port: int
    #: The S3 server's port block (`cascade.devstack.objectstore`); None: the profile's default.
    s3_port: int | None = None
    #: Nodes of the Kafka cluster (node i on both Kafka ports + 2i).
    kafka_nodes: int = 1
    #: The devstack profile the Kafka cluster lives under, when not `profile`'s own (a
    #: cluster beside the profile's single broker, sharing its PostgreSQL and S3 server).
    kafka_profile: str = ""

    @property
    def s3(self) -> int:
        """The S3 port of these servers."""
        return self.s3_port or objectstore.DEFAULT_PORTS.get(self.profile, 18533)

    @property
    def kafka(self) -> str:
        """The profile of these servers' Kafka."""
        return self.kafka_profile or self.profile


def fault_servers(ports: str = os.environ.get("FAULT_PORTS", "")) -> Servers:
    """The `faults` profile's servers; `FAULT_PORTS="pg,kafka,controller,s3"` moves them (so a
    checkout whose fixed ports another checkout's servers hold can still run the suite)."""
    if not ports:
        return Servers("faults", 55533, 19292, 19293)
    pg, kafka_port, controller, s3 = (int(p) for p in ports.split(","))
    return Servers("faults", pg, kafka_port, controller, s3)


FAULTS = fault_servers()


def fault_cluster_servers(ports: str = os.environ.get("FAULT_CLUSTER_KAFKA_PORTS", "")) -> Servers:
    """The fault suite's servers with a three-node Kafka cluster of its own (profile
    `faults-cluster`, its brokers killed one at a time) instead of the single broker;
    `FAULT_CLUSTER_KAFKA_PORTS="kafka,controller"` moves its ports (nodes take +0, +2, +4)."""
    kafka_port, controller = (int(p) for p in (ports or "19492,19493").split(","))
    return Servers(
        FAULTS.profile,
        FAULTS.pg_port,
        kafka_port,
        controller,
        FAULTS.s3_port,
        kafka_nodes=3,
        kafka_profile="faults-cluster",
    )


FAULT_CLUSTER = fault_cluster_servers()
#: What the fault scenarios tune per service (the bench keeps the product's defaults: a
#: 100 ms email poll alone was ~10 of the idle stack's 11.7 PG commits/s).
FAULT_SERVICE_ENV: dict[str, dict[str, str]] = {
    "intake": {},
    "runner": {},
    "approvals": {
        "CASCADE_SMTP_TIMEOUT_S": "5",
        # Minutes become seconds: an SMTP outage of a scenario is ridden out in its drain,
        # every attempt still a durable job row.
        "CASCADE_EMAIL_MAX_ATTEMPTS": "30",
        "CASCADE_EMAIL_BACKOFF_BASE_S": "0.5",
        "CASCADE_EMAIL_BACKOFF_MAX_S": "4",
        "CASCADE_EMAIL_POLL_MS": "100",
        "CASCADE_EMAIL_LEASE_S": "15",
    },
    # NetSuite retries fit a fault burst.
    "ns_pusher": {
        "CASCADE_NETSUITE_TIMEOUT_S": "3",
        "CASCADE_NS_PUSH_MAX_ATTEMPTS": "6",
        "CASCADE_NS_PUSH_BACKOFF_BASE_MS": "300",
        "CASCADE_NS_PUSH_BACKOFF_MAX_MS": "3000",
        "CASCADE_NS_PUSH_LEASE_S": "10",
        # The lease covers the wait for a request slot too: 2 * (3 + 1) + 5 = 13 s.
        "CASCADE_NETSUITE_SLOT_WAIT_S": "1",
    },
    "verifier": {"CASCADE_NETSUITE_TIMEOUT_S": "3", "CASCADE_NETSUITE_SLOT_WAIT_S": "1"},
}
#: What the fault scenarios tune: fewer redeliveries, quicker relay (the bench keeps defaults).
FAULT_SETTINGS: dict[str, Any] = {
    "max_delivery_attempts": 3,
    "redelivery_backoff_ms": 100,
    "outbox_poll_ms": 50,
}


def ensure_servers(servers: Servers = FAULTS) -> tuple[str, str]:
    """Start (or reuse) the profile's PostgreSQL, Kafka and S3 server; (admin URL, bootstrap)."""
    objectstore.ensure_s3(servers.profile, servers.s3)
    url = postgres.ensure_postgres(servers.profile, servers.pg_port)
    bootstrap = kafka.ensure_kafka(
        servers.kafka, servers.kafka_port, servers.kafka_controller_port, servers.kafka_nodes
    )
    return url, bootstrap


def _dsn(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


@dataclass
class FaultStack:
    """One isolated Cascade on the fault servers; `start()` brings it all up."""

    workdir: Path
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    #: Extra environment for every service (e.g. a crash point for the first start).
    service_env: dict[str, str] = field(default_factory=dict)
    settings: Settings | None = None
    sink: SmtpSink | None = None
    servers: Servers = FAULTS
    #: Partitions of every topic (the bench gives each replica its own).
    partitions: int = 3
    #: Settings beyond the stack's own names and places.
    settings_overrides: dict[str, Any] = field(default_factory=lambda: dict(FAULT_SETTINGS))
    #: The services' fault tunings (`FAULT_SERVICE_ENV`); False: the product's defaults.
    fault_tuning: bool = True
    procs: dict[str, ServiceProcess] = field(default_factory=dict)
    extras: list[ServiceProcess] = field(default_factory=list)
    _admin_url: str = ""

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Servers, database, topics, SMTP sink, simulator and the five services."""
        self._admin_url, bootstrap = await asyncio.to_thread(ensure_servers, self.servers)
        database = f"f_{self.tag}"
        admin = await asyncpg.connect(_dsn(self._admin_url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{database}"')
        finally:
            await admin.close()
        url = make_url(self._admin_url).set(database=database).render_as_string(False)
        await asyncio.to_thread(upgrade_to_head, url)
        self.settings = Settings(
            database_url=url,
            kafka_bootstrap=bootstrap,
            topic_prefix=f"f{self.tag}.",
            consumer_group_prefix=f"fg{self.tag}",
            contracts_dir=repo_root() / "contracts",
            **self.settings_overrides,
        )
        declared = kafka.local_topic_settings(self.servers.kafka_nodes, self.partitions)
        await provision(bootstrap, self._topics(), declared)
        self.sink = SmtpSink(free_port())
        self.sink.start()
        sim = self._process("netsuite_sim", {
            **TEST_CREDENTIALS,
            "CASCADE_NETSUITE_SIM_ENABLE_TEST_API": "true",
            "CASCADE_NETSUITE_SIM_DATA_DIR": str(self.workdir / "netsuite"),
            "CASCADE_NETSUITE_SIM_CONCURRENCY_LIMIT": "20",
        })  # fmt: skip
        self.procs["netsuite_sim"] = sim
        await self._boot(sim)  # first: the services' environment names its port
        for name in SERVICES:
            self.procs[name] = self._process(name, self._env_of(name))
        await asyncio.gather(*(self._boot(self.procs[n], self.service_env) for n in SERVICES))

    def _topics(self) -> list[str]:
        assert self.settings is not None
        contracts = load_contracts(self.settings.contracts_dir)
        sources = event_sources(c.trigger for c in contracts.values())
        return all_topic_names(self.settings.topic_prefix, sources)

    async def stop(self) -> None:
        """Stop every process we started, drop the database and the topics."""
        for p in [*self.extras, *self.procs.values()]:
            await asyncio.to_thread(p.stop, 10.0)
        if self.sink is not None:
            self.sink.stop()
        self.resume_kafka()
        if self.settings is None:
            return
        await asyncio.to_thread(ensure_servers, self.servers)
        try:
            await delete_topics(self.settings.kafka_bootstrap, self._topics())
        except Exception as exc:  # cleanup must not hide the test's own outcome
            print(f"faults: could not delete topics: {exc}")
        admin = await asyncpg.connect(_dsn(self._admin_url, "postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "f_{self.tag}" WITH (FORCE)')
        finally:
            await admin.close()

    # --- services ------------------------------------------------------------------------

    def _env_of(self, name: str) -> dict[str, str]:
        assert self.sink is not None
        sim_url = f"http://127.0.0.1:{self.procs['netsuite_sim'].port}"
        netsuite = {**TEST_CREDENTIALS, "CASCADE_NETSUITE_BASE_URL": sim_url}
        # 15-minute verify windows become ~4.5 s (the bench too: its check waits for them).
        scale = {"CASCADE_VERIFY_WINDOW_SCALE": "0.005"}
        common = {"CASCADE_ADMIN_TOKEN": ADMIN_TOKEN}
        smtp = {
            "CASCADE_SMTP_HOST": "127.0.0.1",
            "CASCADE_SMTP_PORT": str(self.sink.port),
            "CASCADE_SMTP_FROM": "cascade@faults.example",
        }
        wiring: dict[str, dict[str, str]] = {
            "intake": {},
            "runner": scale,
            "approvals": smtp,
            "ns_pusher": netsuite,
            "verifier": {**netsuite, **scale},
        }
        tuning = FAULT_SERVICE_ENV[name] if self.fault_tuning else {}
        return {**common, **wiring[name], **tuning}

    def _process(self, name: str, env: dict[str, str], suffix: str = "") -> ServiceProcess:
        assert self.settings is not None
        module, port_var = SERVICE_MODULES[name]
        port = free_port()
        store = object_store_env(objectstore.endpoint_settings(self.servers.s3))
        full = {**store, **settings_env(self.settings), port_var: str(port), **env}
        log = self.workdir / "logs" / f"{name}{suffix}.log"
        return ServiceProcess(name, module, port, full, log)

    async def _boot(self, proc: ServiceProcess, extra_env: dict[str, str] | None = None) -> None:
        for attempt in range(3):
            proc.start(extra_env)
            try:
                await asyncio.to_thread(proc.wait_healthy, 120.0)
                return
            except RuntimeError:
                if "address already in use" not in proc.log_tail().lower() or attempt == 2:
                    raise
                proc.port = free_port()  # taken between our probe and its bind: try another
                port_var = SERVICE_MODULES[proc.name][1]
                proc.env[port_var] = str(proc.port)

    def url(self, name: str) -> str:
        """Base URL of a service (or of the simulator)."""
        return f"http://127.0.0.1:{self.procs[name].port}"

    def alive(self, name: str) -> bool:
        """Is the service's process running?"""
        p = self.procs[name].proc
        return p is not None and p.poll() is None

    async def kill9(self, name: str) -> None:
        """SIGKILL a service (no cleanup at all)."""
        await asyncio.to_thread(self.procs[name].kill9)

    async def restart(self, name: str, extra_env: dict[str, str] | None = None) -> None:
        """Start a (killed or crashed) service again on the same port and wait for health."""
        proc = self.procs[name]
        await asyncio.to_thread(proc.kill9)
        await self._boot(proc, extra_env)

    async def crash_at(self, name: str, point: str, within: float = 120.0) -> bool:
        """Restart `name` with `CASCADE_CRASH_AT=point`, wait for it to kill itself there,
        then restart it clean. False when the point was not reached within `within`."""
        proc = self.procs[name]
        await asyncio.to_thread(proc.kill9)
        proc.start({"CASCADE_CRASH_AT": point})
        try:
            code = await asyncio.to_thread(proc.wait_exit, within)
        except subprocess.TimeoutExpired:
            code = None  # never got there: `restart` kills it
        await self.restart(name)
        return code == -signal.SIGKILL

    async def start_extra(self, name: str) -> ServiceProcess:
        """A second instance of a service (same groups: a rebalance), stopped with the stack."""
        base = self.procs[name]
        env = {**base.env}
        extra = self._process(name, {}, suffix=f"-extra{len(self.extras)}")
        port_var = SERVICE_MODULES[name][1]
        extra.env = {**env, port_var: str(extra.port)}
        self.extras.append(extra)
        await self._boot(extra)
        return extra

    # --- servers --------------------------------------------------------------------------

    def _kafka_pid(self, node: int = 0) -> int | None:
        return procs.running_pid(kafka.node_pidfile(self.servers.kafka, node))

    def server_pids(self) -> dict[str, int | None]:
        """The broker's JVM and the PostgreSQL postmaster (None when not running)."""
        return {
            "kafka": self._kafka_pid(),
            "postgres": postgres.postmaster_pid(self.servers.profile),
        }

    async def kill_kafka(self, down_s: float = 5.0) -> None:
        """kill -9 the broker (every node), keep it down `down_s`, start it again (same data)."""
        await asyncio.to_thread(kafka.kill_kafka, self.servers.kafka)
        await hold(down_s)
        await asyncio.to_thread(ensure_servers, self.servers)

    async def coordinator_node(self) -> int:
        """The node leading `__consumer_offsets` (one partition here): the coordinator of
        every consumer group, whose loss moves them all at once."""
        assert self.settings is not None
        async with kafka_io.admin_client(self.settings.kafka_bootstrap, 30) as admin:
            [offsets] = await admin.describe_topics(["__consumer_offsets"])
        leader: int = offsets["partitions"][0]["leader"]
        return leader - 1  # node i has node.id i + 1

    async def kill_broker(self, node: int) -> None:
        """kill -9 one node of the cluster; it stays down until the stack stops, which
        starts it again on its data (it catches up as a follower). Down for the rest of the
        load and the drain, the other two carry everything: RF 3 with min ISR 2 takes
        acks=all writes on two."""
        await asyncio.to_thread(kafka.kill_kafka, self.servers.kafka, node)

    async def pause_kafka(self, paused_s: float = 15.0) -> None:
        """SIGSTOP the broker past the consumers' session timeout (10 s), then SIGCONT."""
        pid = self._kafka_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGSTOP)
        try:
            await hold(paused_s)
        finally:
            os.kill(pid, signal.SIGCONT)

    def resume_kafka(self) -> None:
        """SIGCONT every node (harmless when it runs): never leave one stopped."""
        for node in range(self.servers.kafka_nodes):
            pid = self._kafka_pid(node)
            if pid is not None:
                os.kill(pid, signal.SIGCONT)

    async def restart_postgres(self) -> None:
        """`pg_ctl restart -m immediate`: a crash and recovery of the database server."""
        await asyncio.to_thread(postgres.restart_postgres, self.servers.profile, "immediate")

    async def stop_postgres(self, down_s: float = 20.0) -> None:
        """Stop PostgreSQL for `down_s`, then start it again."""
        await asyncio.to_thread(postgres.stop_postgres, self.servers.profile)
        try:
            await hold(down_s)
        finally:
            await asyncio.to_thread(
                postgres.ensure_postgres, self.servers.profile, self.servers.pg_port
            )

    # --- NetSuite and SMTP ---------------------------------------------------------------

    async def sim(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the simulator's test API (`/_sim/...`)."""
        async with httpx.AsyncClient(base_url=self.url("netsuite_sim"), timeout=10) as c:
            return await c.request(method, path, **kwargs)

    async def netsuite_fault(self, kind: str, count: int, **extra: Any) -> None:
        """Script `count` NetSuite calls to fail with `kind` (error500, rate_limit, hang,
        drop_after_commit)."""
        answer = await self.sim(
            "POST", "/_sim/faults", json={"kind": kind, "count": count, **extra}
        )
        answer.raise_for_status()

    def smtp_down(self) -> None:
        """The SMTP server refuses connections until `smtp_up`."""
        assert self.sink is not None
        self.sink.stop()

    def smtp_up(self) -> None:
        """The SMTP server accepts connections again."""
        assert self.sink is not None
        self.sink.start()

    def log_tails(self, lines: int = 15) -> Iterator[str]:
        """The end of every service log, for a failure message."""
        for p in [*self.procs.values(), *self.extras]:
            yield f"--- {p.name} ({p.log_path})\n{p.log_tail(lines)}"
