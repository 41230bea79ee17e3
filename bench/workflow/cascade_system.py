"""Cascade as a system under test: the fault suite's stack on the `bench` profile's servers.

Every service runs as a real process (tests/faults/harness.py `FaultStack`, with the
product's default settings), on PostgreSQL 55633, Kafka 19392/19393 and S3 18633 of their
own (the peers PUT their bundles to the same S3 server), a fresh database and topic prefix
per start, the NetSuite simulator with no added latency and the SMTP sink. The driver is a
client of the normal APIs: it submits through intake, learns that a proposal waits from
`proposal.staged`, approves it through the approvals API as Mike and learns the end from
the terminal topics; one Kafka consumer feeds per-run futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.workflow.report import StatementCounts, count_statements
from bench.workflow.system import Counters, RunInputs, Terminal
from cascade.devstack import postgres
from cascade.devstack.waiting import eventually
from cascade.shared.envelope import Envelope
from cascade.shared.topics import Topic, all_topic_names, topic_name
from tests.faults.checker import EMAIL_ACTION, TERMINAL, Answer, Observed, check
from tests.faults.collect import observe
from tests.faults.harness import ADMIN_TOKEN, FaultStack, Servers, _dsn
from tests.faults.load import LoadClient


def bench_servers(env: Mapping[str, str] = os.environ) -> Servers:
    """The `bench` profile's servers; `BENCH_PORTS="pg,kafka,controller[,s3]"` moves them (so
    two checkouts can each benchmark on servers of their own). The S3 server (the bundle
    step's, shared with the peers) stays on the profile's default port when the fourth is
    left out."""
    ports = env.get("BENCH_PORTS", "")
    if not ports:
        return Servers("bench", 55633, 19392, 19393)
    pg, kafka_port, controller, *s3 = (int(p) for p in ports.split(","))
    if len(s3) > 1:
        raise ValueError(f"BENCH_PORTS takes 3 or 4 ports, not {ports!r}")
    return Servers("bench", pg, kafka_port, controller, s3[0] if s3 else None)


BENCH = bench_servers()
#: Enough for 4 replicas of every consumer to each own two partitions.
PARTITIONS = 8
#: The processes a replica adds (the two that do a run's steps and its NetSuite push).
REPLICATED = ("runner", "ns_pusher")
FOLLOWED = (
    Topic.PROPOSAL_STAGED,
    Topic.WORKFLOW_COMPLETED,
    Topic.WORKFLOW_PARTIAL,
    Topic.WORKFLOW_FAILED,
)
TERMINAL_STATUS = {
    Topic.WORKFLOW_COMPLETED: "completed",
    Topic.WORKFLOW_PARTIAL: "partial",
    Topic.WORKFLOW_FAILED: "failed",
}
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pid: int, with_reaped_children: bool = False) -> float:
    """utime + stime of a process from /proc/<pid>/stat (and of its waited-for children:
    a PostgreSQL backend that exited is counted in its postmaster's cutime/cstime)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()  # after "(comm) ": state is fields[0]
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
    if with_reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / _CLK_TCK


def children_of(pid: int) -> list[int]:
    """Live direct children of a process (PostgreSQL's backends and auxiliary processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class CascadeSystem:
    """`System` for Cascade; `replicas` = that many runner and ns-pusher processes."""

    name = "cascade"

    def __init__(self, workdir: Path | None = None) -> None:
        self._workdir = workdir
        self.stack: FaultStack | None = None
        self.answers: list[Answer] = []
        self._staged: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ended: dict[str, asyncio.Future[Terminal]] = {}
        self._follow: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._stats: asyncpg.Connection | None = None
        self._intake: httpx.AsyncClient | None = None
        self._approvals: httpx.AsyncClient | None = None

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self, replicas: int = 1) -> None:
        """The bench servers, a fresh stack, `replicas - 1` more runners and ns-pushers."""
        workdir = self._workdir or Path(tempfile.mkdtemp(prefix="cascade-bench-"))
        self.stack = FaultStack(
            workdir,
            servers=BENCH,
            partitions=PARTITIONS,
            settings_overrides={},
            fault_tuning=False,
        )
        self.answers = []
        await self.stack.start()
        for _ in range(replicas - 1):
            for name in REPLICATED:
                await self.stack.start_extra(name)
        assert self.stack.settings is not None
        settings = self.stack.settings
        self._stats = await asyncpg.connect(_dsn(settings.database_url, "postgres"))
        await self._require_durable()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
        )
        self._offsets = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False
        )
        await self._consumer.start()
        await self._offsets.start()
        followed = [topic_name(settings.topic_prefix, t) for t in FOLLOWED]
        parts = [TopicPartition(t, p) for t in followed for p in range(PARTITIONS)]
        self._consumer.assign(parts)
        await self._consumer.seek_to_beginning(*parts)
        self._follow = asyncio.create_task(self._dispatch(settings.topic_prefix))
        # Keep-alive shorter than uvicorn's 5 s: with both at 5 s a request can go out on a
        # connection the server is closing, and fail with ReadError (seen at N=10,000).
        limits = httpx.Limits(
            max_connections=400, max_keepalive_connections=400, keepalive_expiry=2.0
        )
        self._intake = httpx.AsyncClient(
            base_url=self.stack.url("intake"), timeout=30, limits=limits
        )
        self._approvals = httpx.AsyncClient(
            base_url=self.stack.url("approvals"),
            timeout=30,
            limits=limits,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )

    async def _require_durable(self) -> None:
        """Refuse to measure a PostgreSQL that does not fsync each commit."""
        assert self._stats is not None
        fsync = await self._stats.fetchval("SHOW fsync")
        sync = await self._stats.fetchval("SHOW synchronous_commit")
        if fsync != "on" or sync != "on":
            raise RuntimeError(f"bench PostgreSQL not durable: fsync={fsync} sync={sync}")

    async def stop(self) -> None:
        """Stop the follower, the clients and the stack (its database and topics go)."""
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        for consumer in (self._consumer, self._offsets):
            if consumer is not None:
                await consumer.stop()
        for client in (self._intake, self._approvals):
            if client is not None:
                await client.aclose()
        if self._stats is not None:
            await self._stats.close()
        if self.stack is not None:
            await self.stack.stop()
        self._staged.clear()
        self._ended.clear()

    # --- the follower ---------------------------------------------------------------------

    def _future(self, table: dict[str, asyncio.Future[Any]], run_ref: str) -> asyncio.Future[Any]:
        # Either side may come first: the event can beat the submit's answer.
        if run_ref not in table:
            table[run_ref] = asyncio.get_running_loop().create_future()
        return table[run_ref]

    async def _dispatch(self, prefix: str) -> None:
        assert self._consumer is not None
        by_topic = {topic_name(prefix, t): t for t in FOLLOWED}
        while True:
            batch = await self._consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                topic = by_topic[tp.topic]
                for record in records:
                    try:
                        envelope = Envelope.from_bytes(record.value or b"")
                    except ValueError as exc:  # the check reports what the stack did wrong
                        print(f"cascade: unreadable record on {tp.topic}: {exc}", flush=True)
                        continue
                    run_ref = str(envelope.run_id)
                    if topic is Topic.PROPOSAL_STAGED:
                        future = self._future(self._staged, run_ref)
                        if not future.done():
                            future.set_result(envelope.data)
                        continue
                    ended = self._future(self._ended, run_ref)
                    if not ended.done():  # a relay may publish a record twice
                        status = str(envelope.data.get("status") or TERMINAL_STATUS[topic])
                        ended.set_result(Terminal(run_ref, status))

    # --- one run -------------------------------------------------------------------------

    async def submit(self, inputs: RunInputs) -> str:
        """POST /v1/runs with an Idempotency-Key; a lost answer is retried with the same key."""
        assert self._intake is not None
        assert self.stack is not None
        key = f"bench-{self.stack.tag}-{inputs.index}"
        body = {"workflow_type": "new_customer", "inputs": inputs.as_dict()}
        for attempt in range(5):
            try:
                reply = await self._intake.post(
                    "/v1/runs", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.HTTPError as exc:
                self.answers.append(Answer(key, None, error=type(exc).__name__))
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            run_id = str(reply.json().get("run_id")) if reply.status_code < 300 else None
            self.answers.append(Answer(key, reply.status_code, run_id, reply.text[:200]))
            if run_id is not None:
                return run_id
            if reply.status_code < 500:
                break
        raise RuntimeError(f"intake refused run {inputs.index}: {self.answers[-1]}")

    async def staged(self, run_ref: str) -> object:
        """The run's `proposal.staged` payload (proposal_id, version, payload_sha256)."""
        data: dict[str, Any] = await self._future(self._staged, run_ref)
        return data

    async def approve(self, run_ref: str, proposal: object) -> None:
        """POST /v1/proposals/{id}/approve as Mike, bound to the staged version and hash."""
        assert self._approvals is not None
        assert isinstance(proposal, dict)
        body = {"version": proposal["version"], "payload_sha256": proposal["payload_sha256"]}
        reply = await self._approvals.post(
            f"/v1/proposals/{proposal['proposal_id']}/approve", json=body
        )
        if reply.status_code != 200:
            raise RuntimeError(f"approve of run {run_ref}: {reply.status_code} {reply.text}")

    async def terminal(self, run_ref: str) -> Terminal:
        """The run's terminal event."""
        ended: Terminal = await self._future(self._ended, run_ref)
        return ended

    # --- counters ------------------------------------------------------------------------

    async def counters(self) -> Counters:
        """PostgreSQL commits (bench database and server), Kafka end offsets, CPU seconds."""
        assert self.stack is not None
        assert self.stack.settings is not None
        assert self._stats is not None
        assert self._offsets is not None
        await self._stats.execute("SELECT pg_stat_clear_snapshot()")
        rows = await self._stats.fetch("SELECT datname, xact_commit FROM pg_stat_database")
        mine = f"f_{self.stack.tag}"
        prefix = self.stack.settings.topic_prefix
        parts = [TopicPartition(t, p) for t in all_topic_names(prefix) for p in range(PARTITIONS)]
        ends = await self._offsets.end_offsets(parts)
        # The next xid to be assigned; reading it assigns none (pg_current_xact_id would).
        next_xid = await self._stats.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())")
        return Counters(
            pg_write_xacts=int(str(next_xid)),
            pg_commits=sum(int(r["xact_commit"]) for r in rows if r["datname"] == mine),
            pg_commits_server=sum(int(r["xact_commit"] or 0) for r in rows),
            kafka_records=sum(ends.values()),
            cpu_s=self.cpu_by_group(),
        )

    @contextlib.asynccontextmanager
    async def statement_log(self) -> AsyncIterator[StatementCounts]:
        """Log every statement of the bench PostgreSQL while inside (the idle phase only:
        logging costs), then count them per process group into the yielded object."""
        assert self.stack is not None
        found = StatementCounts()
        log = postgres.postgres_log(BENCH.profile)
        start = log.stat().st_size
        await asyncio.to_thread(
            postgres.set_server_option, BENCH.profile, "log_min_duration_statement", "0"
        )
        try:
            yield found
        finally:
            await asyncio.to_thread(
                postgres.set_server_option, BENCH.profile, "log_min_duration_statement", None
            )
            with log.open("rb") as f:
                f.seek(start)
                text = f.read().decode("utf-8", "replace")
            counted = count_statements(text, f"f_{self.stack.tag}")
            found.commits.update(counted.commits)
            found.statements.update(counted.statements)

    def pids_of(self, name: str) -> list[int]:
        """The live pids of a service's processes (for the profiler)."""
        assert self.stack is not None
        every = [*self.stack.procs.values(), *self.stack.extras]
        return [p.proc.pid for p in every if p.name == name and p.proc is not None]

    def cpu_by_group(self) -> dict[str, float]:
        """CPU seconds of every service process, the simulator, PostgreSQL and Kafka."""
        assert self.stack is not None
        cpu: dict[str, float] = defaultdict(float)
        for proc in [*self.stack.procs.values(), *self.stack.extras]:
            if proc.proc is not None:
                cpu[proc.name] += proc_cpu_s(proc.proc.pid)
        servers = self.stack.server_pids()
        if servers["kafka"] is not None:
            cpu["kafka"] += proc_cpu_s(servers["kafka"])
        postmaster = servers["postgres"]
        if postmaster is not None:
            cpu["postgres"] += proc_cpu_s(postmaster, with_reaped_children=True)
            cpu["postgres"] += sum(proc_cpu_s(c) for c in children_of(postmaster))
        return dict(cpu)

    # --- the check -----------------------------------------------------------------------

    async def _settled(self) -> bool:
        """Nothing left in flight: outbox sent, verifications decided, runs ended."""
        assert self.stack is not None
        assert self.stack.settings is not None
        conn = await asyncpg.connect(_dsn(self.stack.settings.database_url, f"f_{self.stack.tag}"))
        try:
            busy = await conn.fetchval(
                "SELECT (SELECT count(*) FROM outbox WHERE sent_at IS NULL)"
                " + (SELECT count(*) FROM workflow_verify_results"
                "    WHERE status IN ('pending', 'running'))"
                " + (SELECT count(*) FROM workflow_runs WHERE NOT status = ANY($1::text[]))",
                sorted(TERMINAL),
            )
        finally:
            await conn.close()
        return int(busy) == 0

    async def check(self, run_refs: list[str], within_s: float = 120.0) -> list[str]:
        """The fault suite's invariants over the whole stack, once it settled (verifications
        run a few seconds after the end), plus per run: completed, one customer row, one
        NetSuite record, one terminal event."""
        assert self.stack is not None
        stack = self.stack
        t0 = time.monotonic()
        with contextlib.suppress(AssertionError):  # what is still stuck is reported below
            await eventually(self._settled, within_s)
        violations: list[str] = []

        async def consistent() -> bool:
            # Rechecked a while: e.g. a consumer's offset commit may still be on its way.
            nonlocal violations
            obs = await observe(stack, LoadClient(stack, answers=self.answers), [])
            violations = judge(obs, run_refs)
            return not violations

        with contextlib.suppress(AssertionError):
            await eventually(consistent, max(10.0, within_s - (time.monotonic() - t0)))
        return violations


def judge(obs: Observed, run_refs: list[str]) -> list[str]:
    """The checker's verdict on what the bench left, and the per-run counts.

    The run ends with the welcome email drafted for Mike's review (a pending proposal that
    the workflow never decides): those drafts are the run's output, not an undecided gate,
    so they are taken out of the checker's view, and counted per run instead (one each)."""
    drafts = Counter(
        p.run_id for p in obs.proposals if p.action_type == EMAIL_ACTION and p.status == "pending"
    )
    obs.proposals = [
        p for p in obs.proposals if not (p.action_type == EMAIL_ACTION and p.status == "pending")
    ]
    report = check(obs)
    out = [str(v) for v in report.violations]
    customers = Counter(c.run_id for c in obs.customers)
    records = Counter(external for _internal, external in obs.ns_records)
    terminal_keys: dict[str, set[str]] = defaultdict(set)
    for event in obs.wire:
        if event.run_id is not None and event.idempotency_key is not None:
            terminal_keys[event.run_id].add(event.idempotency_key)
    for run_id in run_refs:
        status = obs.runs.get(run_id)
        if status != "completed":
            out.append(f"run_not_completed: {run_id} is {status}")
        if customers.get(run_id, 0) != 1:
            out.append(f"customers_per_run: {run_id} has {customers.get(run_id, 0)}")
        if records.get(f"cascade-customer-{run_id}", 0) != 1:
            out.append(f"netsuite_records_per_run: {run_id}")
        if len(terminal_keys.get(run_id, ())) != 1:
            out.append(f"terminal_events_per_run: {run_id} has {len(terminal_keys[run_id])}")
        if drafts.get(run_id, 0) != 1:
            out.append(f"email_drafts_per_run: {run_id} has {drafts.get(run_id, 0)}")
    return out
