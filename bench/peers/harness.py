"""What both peers' `System`s share (product venv): the peers' venv, the benchmark's
PostgreSQL with Cascade's schema in a database of the peer's own, the benchmark's S3 server
(Cascade's bench PUTs its bundles there too), the NetSuite simulator, the peer processes,
CPU and commit counters, and the exactly-once check.

The peer processes run in .cache/bench-peers (scripts/ensure-bench-peers.sh), never in the
product's venv: temporalio and dbos are no dependency of Cascade.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from bench.peers.new_customer import bundle_key
from bench.workflow.cascade_system import bench_servers
from bench.workflow.system import Counters, RunInputs, Terminal
from cascade.devstack import objectstore
from cascade.devstack.infra import object_store_env
from cascade.devstack.netsuite_sim import TEST_CREDENTIALS
from cascade.devstack.paths import repo_root
from cascade.devstack.postgres import database_url, ensure_postgres
from cascade.devstack.procs import port_open
from cascade.devstack.service_process import ServiceProcess, free_port, health_service
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.objectstore import ObjectStore, ObjectStoreSettings, open_object_store
from cascade.shared.objectstore.content import sha256_hex

#: The benchmark's servers (the devstack's `bench` profile, `BENCH_PORTS`), shared with
#: Cascade's bench: its PostgreSQL and its S3 server.
BENCH = bench_servers()
PG_PROFILE = BENCH.profile
PG_PORT = BENCH.pg_port
#: The simulator's concurrent-request limit: the fault harness's, so bursts of 50 runs see
#: NetSuite's 429 only rarely (each engine retries them with its own policy).
NS_CONCURRENCY_LIMIT = 20
ENSURE_SCRIPT = "scripts/ensure-bench-peers.sh"
PEER_VENV = ".cache/bench-peers"

#: The peers' own tables beside Cascade's schema: the proposal, the email draft, the
#: verify rows. Cascade's proposed_actions needs a workflow_runs row the peers do not keep.
PEER_DDL = """
CREATE TABLE peer_proposals (
  run_id TEXT PRIMARY KEY, action_type TEXT NOT NULL, approver TEXT NOT NULL,
  payload JSONB NOT NULL, payload_sha256 TEXT NOT NULL, status TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(), decided_at TIMESTAMPTZ, decided_by TEXT
);
CREATE TABLE peer_email_drafts (
  run_id TEXT PRIMARY KEY, to_address TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE peer_verify_due (
  run_id TEXT NOT NULL, check_name TEXT NOT NULL, due_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (run_id, check_name)
);
"""


def dsn(url: str, database: str | None = None) -> str:
    """A libpq DSN (asyncpg, psycopg) of a SQLAlchemy URL, optionally of another database."""
    u = make_url(url)
    if database is not None:
        u = u.set(database=database)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


def with_driver(url: str, database: str, driver: str) -> str:
    """The SQLAlchemy URL of `database` on the same server, with the given driver."""
    u = make_url(url).set(database=database, drivername=driver)
    return u.render_as_string(hide_password=False)


def ensure_peer_venv() -> Path:
    """The peers' venv, made or brought up to date (idempotent, quick when it is)."""
    root = repo_root()
    subprocess.run([str(root / ENSURE_SCRIPT)], cwd=root, check=True)
    return root / PEER_VENV / "bin" / "python"


def bench_postgres() -> str:
    """The benchmark's PostgreSQL (the `bench` profile's, port 55633), started if need be.

    When another checkout's `bench` cluster already serves that port (parallel worktrees),
    that server is the benchmark's: use it with the devstack's role rather than fail."""
    try:
        return ensure_postgres(PG_PROFILE, PG_PORT)
    except RuntimeError as exc:
        if "is taken by another process" not in str(exc):
            raise
        return database_url(PG_PORT, "cascade", "cascade", "cascade")


# --- CPU -----------------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces: the fields start after its closing parenthesis.
    return raw[raw.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    """utime + stime of a process (plus its reaped children's when asked), in seconds."""
    f = _stat(pid)
    if f is None:
        return 0.0
    # Fields 14-17 of /proc/<pid>/stat; after the name, index 11 is utime (field 14).
    ticks = int(f[11]) + int(f[12])
    if reaped_children:
        ticks += int(f[13]) + int(f[14])
    return ticks / _TICK


def children(pid: int) -> list[int]:
    """The live children of a process."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            f = _stat(int(entry.name))
            if f is not None and int(f[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """A server's CPU with its workers': its own and its reaped children's (PostgreSQL's
    postmaster reaps every backend that ends), plus every live child's."""
    return cpu_seconds(pid, reaped_children=True) + sum(cpu_seconds(c) for c in children(pid))


# --- processes -----------------------------------------------------------------------------


@dataclass
class PeerProcess(ServiceProcess):
    """One peer process: the devstack's `ServiceProcess` (its stop, kill and log) running a
    command of its own (`argv`, in the peers' venv) instead of `python -m`; `port` 0 when it
    serves none."""

    argv: list[str] = field(default_factory=list)

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Start `argv` from the repository root; its output is appended to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=repo_root(),
                env={**os.environ, **self.env, **(extra_env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.log_tail()}")

    async def wait_ready(
        self, *, health: str | None = None, log_line: str | None = None, within_s: float = 90.0
    ) -> None:
        """Until /healthz names `health`, the log shows `log_line`, or the port is open."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            self._alive()
            if health is not None:
                url = f"http://127.0.0.1:{self.port}/healthz"
                if await asyncio.to_thread(health_service, url) == health:
                    return
            elif log_line is not None:
                if self.log_path.exists() and log_line in self.log_path.read_text(errors="replace"):
                    return
            elif self.port and port_open("127.0.0.1", self.port):
                return
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready after {within_s}s:\n{self.log_tail()}")


# --- the System base -----------------------------------------------------------------------


class PeerSystem:
    """A peer as the benchmark drives it: through its HTTP front, like a sales form and an
    approver would. Subclasses start the engine's own processes (`_start_engine`)."""

    name = "peer"
    #: Database name prefixes: the peer's application database (and DBOS's system one).
    db_prefix = "peer"

    def __init__(self, workdir: Path | None = None) -> None:
        self.tag = uuid.uuid4().hex[:8]
        self.workdir = workdir or repo_root() / ".cascade" / "bench" / f"{self.name}-{self.tag}"
        self.python = Path()
        self.admin_url = ""
        self.database = f"{self.db_prefix}_{self.tag}"
        self.databases = [self.database]
        self.procs: dict[str, list[PeerProcess | ServiceProcess]] = {}
        self.fronts: list[str] = []
        self._front_of: dict[str, str] = {}
        self._next_front = itertools.count()
        self._http: httpx.AsyncClient | None = None
        self._pg_backends: dict[int, float] = {}
        self._sim: ServiceProcess | None = None
        self._store: ObjectStoreSettings | None = None

    # -- lifecycle --

    async def start(self, replicas: int = 1) -> None:
        self.python = await asyncio.to_thread(ensure_peer_venv)
        self.admin_url = await asyncio.to_thread(bench_postgres)
        self._store = await asyncio.to_thread(objectstore.ensure_s3, BENCH.profile, BENCH.s3)
        await self._create_databases()
        self._sim = self._start_simulator()
        self.procs["netsuite-sim"] = [self._sim]
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(120.0),
            # Keep-alive below the front's (uvicorn, 5 s): see cascade_system.py.
            limits=httpx.Limits(
                max_connections=1000, max_keepalive_connections=400, keepalive_expiry=2.0
            ),
        )
        await self._start_engine(replicas)

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.aclose()
        for group in reversed(list(self.procs.values())):
            for p in group:
                await asyncio.to_thread(p.stop, 20.0)
        self.procs.clear()
        # The logs stay for a look after the fact; the engines' and NetSuite's data go.
        for data in (self.workdir / "netsuite", *self.workdir.glob("temporal.sqlite*")):
            if data.is_dir():
                shutil.rmtree(data, ignore_errors=True)
            else:
                data.unlink(missing_ok=True)
        if self.admin_url:
            admin = await asyncpg.connect(dsn(self.admin_url, "postgres"))
            try:
                for db in self.databases:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            finally:
                await admin.close()

    async def _create_databases(self) -> None:
        admin = await asyncpg.connect(dsn(self.admin_url, "postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await admin.close()
        url = with_driver(self.admin_url, self.database, "postgresql+asyncpg")
        await asyncio.to_thread(upgrade_to_head, url)
        conn = await asyncpg.connect(dsn(self.admin_url, self.database))
        try:
            await conn.execute(PEER_DDL)
        finally:
            await conn.close()

    def _start_simulator(self) -> ServiceProcess:
        # Zero added latency: the simulator's defaults, its test API on for check().
        port = free_port()
        env = {
            **TEST_CREDENTIALS,
            "CASCADE_NETSUITE_SIM_PORT": str(port),
            "CASCADE_NETSUITE_SIM_ENABLE_TEST_API": "true",
            "CASCADE_NETSUITE_SIM_DATA_DIR": str(self.workdir / "netsuite"),
            "CASCADE_NETSUITE_SIM_CONCURRENCY_LIMIT": str(NS_CONCURRENCY_LIMIT),
        }
        sim = ServiceProcess(
            "netsuite_sim", "cascade.netsuite_sim", port, env, self.workdir / "netsuite-sim.log"
        )
        sim.start()
        sim.wait_healthy()
        return sim

    def peer_env(self) -> dict[str, str]:
        """What every peer process gets: the NetSuite client's and the object store's
        settings."""
        assert self._sim is not None
        assert self._store is not None
        return {
            **TEST_CREDENTIALS,
            **object_store_env(self._store),
            "CASCADE_NETSUITE_BASE_URL": f"http://127.0.0.1:{self._sim.port}",
            "PYTHONPATH": str(repo_root()),
        }

    def peer_process(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        port: int | None = None,
        suffix: str = "",
    ) -> PeerProcess:
        return PeerProcess(
            name=name,
            module="",
            port=port or 0,
            env={**self.peer_env(), **env},
            log_path=self.workdir / f"{name}{suffix}.log",
            argv=[str(self.python), *args],
        )

    def _app_url(self, driver: str) -> str:
        """The peer's application database (Cascade's schema), with the given driver."""
        return with_driver(self.admin_url, self.database, driver)

    async def _start_engine(self, replicas: int) -> None:
        raise NotImplementedError

    # -- driving --

    def _client(self) -> httpx.AsyncClient:
        assert self._http is not None, "not started"
        return self._http

    async def submit(self, inputs: RunInputs) -> str:
        # Fronts take runs in turn, as a load balancer would; a run keeps its front.
        front = self.fronts[next(self._next_front) % len(self.fronts)]
        answer = await self._client().post(f"{front}/runs", json=inputs.as_dict())
        answer.raise_for_status()
        run_id = str(answer.json()["run_id"])
        self._front_of[run_id] = front
        return run_id

    async def staged(self, run_ref: str) -> object:
        answer = await self._client().get(f"{self._front_of[run_ref]}/runs/{run_ref}/staged")
        answer.raise_for_status()
        return answer.json()

    async def approve(self, run_ref: str, proposal: object) -> None:
        assert isinstance(proposal, dict)
        if proposal.get("status") != "staged":
            return  # the run ended before staging (blocked): nothing waits for a decision
        decision = {"payload_sha256": proposal.get("payload_sha256")}
        url = f"{self._front_of[run_ref]}/runs/{run_ref}/approve"
        (await self._client().post(url, json=decision)).raise_for_status()

    async def terminal(self, run_ref: str) -> Terminal:
        answer = await self._client().get(f"{self._front_of[run_ref]}/runs/{run_ref}/result")
        answer.raise_for_status()
        return Terminal(run_ref, str(answer.json()["status"]))

    # -- counters and check --

    async def counters(self) -> Counters:
        cpu: dict[str, float] = {}
        for name, group in self.procs.items():
            cpu[name] = sum(tree_cpu_seconds(p.proc.pid) for p in group if p.proc is not None)
        conn = await asyncpg.connect(dsn(self.admin_url, "postgres"))
        try:
            # The server is shared (Cascade's bench, other checkouts): count the backends
            # serving this peer's databases, each at the last CPU time read while it lived.
            for row in await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])",
                self.databases,
            ):
                used = cpu_seconds(int(row["pid"]))
                if used:
                    self._pg_backends[int(row["pid"])] = used
            cpu["postgres"] = sum(self._pg_backends.values())
            commits = await conn.fetchval(
                "SELECT COALESCE(sum(xact_commit), 0) FROM pg_stat_database "
                "WHERE datname = ANY($1::text[])",
                self.databases,
            )
        finally:
            await conn.close()
        return Counters(pg_commits=int(commits), kafka_records=0, cpu_s=cpu)

    async def check(self, run_refs: list[str]) -> list[str]:
        """Every run completed exactly once: one customer row, one NetSuite record, one
        completion record, and its bundle in the store with the hash it was PUT with."""
        conn = await asyncpg.connect(dsn(self.admin_url, self.database))
        try:
            customers = dict(await conn.fetch(
                "SELECT external_id, count(*) FROM customers "
                "WHERE external_id = ANY($1::text[]) GROUP BY external_id",
                [f"cascade-customer-{r}" for r in run_refs],
            ))  # fmt: skip
            completions = {
                (str(row["run_id"]), row["type"]): row["n"]
                for row in await conn.fetch(
                    "SELECT run_id, type, count(*) AS n FROM events "
                    "WHERE run_id = ANY($1::uuid[]) GROUP BY run_id, type",
                    run_refs,
                )
            }
        finally:
            await conn.close()
        assert self._sim is not None
        answer = await self._client().get(
            f"http://127.0.0.1:{self._sim.port}/_sim/records/customer"
        )
        answer.raise_for_status()
        in_netsuite: dict[str, int] = {}
        for item in answer.json()["items"]:
            key = str(item.get("externalId"))
            in_netsuite[key] = in_netsuite.get(key, 0) + 1
        found = [
            v for r in run_refs for v in run_violations(r, customers, in_netsuite, completions)
        ]
        assert self._store is not None
        async with open_object_store(self._store) as store:
            for run_ref in run_refs:
                found += await bundle_violations(store, run_ref)
        return found


async def bundle_violations(store: ObjectStore, run_ref: str) -> list[str]:
    """What is wrong with a run's bundle: missing, or its bytes not the hash it carries."""
    key = bundle_key(run_ref)
    head, body = await store.head(key), await store.get(key)
    if head is None or body is None:
        return [f"{run_ref}: no bundle at {key}"]
    if head.sha256 is None or head.sha256 != sha256_hex(body):
        return [f"{run_ref}: bundle {key} does not match its sha256 ({head.sha256})"]
    return []


def run_violations(
    run_ref: str,
    customers: dict[str, int],
    in_netsuite: dict[str, int],
    completions: dict[tuple[str, str], int],
) -> list[str]:
    """What is wrong with one run (empty when it completed exactly once)."""
    eid = f"cascade-customer-{run_ref}"
    found = []
    if customers.get(eid, 0) != 1:
        found.append(f"{run_ref}: {customers.get(eid, 0)} customer rows")
    if in_netsuite.get(eid, 0) != 1:
        found.append(f"{run_ref}: {in_netsuite.get(eid, 0)} NetSuite records")
    done = {t: n for (r, t), n in completions.items() if r == run_ref}
    if done != {"completed": 1}:
        found.append(f"{run_ref}: completion records {done or 'none'}")
    return found
