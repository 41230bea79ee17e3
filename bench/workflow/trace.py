"""Per-hop latency of Cascade's workflow at concurrency 1, from the rows each hop writes.

    .venv/bin/python -m bench.workflow.trace [N] [WARMUP]

Starts `CascadeSystem` (the bench profile's servers, `BENCH_PORTS` honoured) and runs N runs
one after another as the driver does (submit, wait for `proposal.staged`, approve, wait for
the terminal event), noting the driver's wall clock at submit and at approve. Then it reads
what each hop left: every outbox row of the run (created, sent), every inbox claim of those
rows' idempotency keys (processed_messages, one per consumer), the Kafka record of each row
(its CreateTime: when the relay handed it to the producer), the proposal (created, decided),
the NetSuite push (created, applied) and the run's end. Each mark is printed as p50/p99 ms
after submit (marks before the approval) or after approve (the rest), in order, with the
p50/p99 of the step from the previous mark. Nothing here asserts a time.

PostgreSQL's `now()` is the start of a transaction, so a row's `created_at`/`processed_at`
says when the transaction that wrote it began, and `sent_at` when the relay's round began
(before it sent anything): the Kafka timestamp and the next consumer's claim bound the send.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import sys
import time
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.workflow.cascade_system import PARTITIONS, CascadeSystem
from bench.workflow.system import RunInputs
from cascade.shared.topics import all_topic_names
from tests.faults.harness import _dsn

Marks = dict[str, float]
"""label -> seconds since the epoch."""


async def drive(
    system: CascadeSystem, runs: int, tag: str, first: int
) -> list[tuple[str, float, float, float, float]]:
    """Run `runs` runs one at a time: (run_id, submit, staged seen, approve, end seen)."""
    out = []
    for index in range(first, first + runs):
        t_submit = time.time()
        run_id = await system.submit(RunInputs(index, tag))
        proposal = await system.staged(run_id)
        t_staged = time.time()
        t_approve = time.time()
        await system.approve(run_id, proposal)
        await system.terminal(run_id)
        out.append((run_id, t_submit, t_staged, t_approve, time.time()))
    return out


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


async def kafka_times(bootstrap: str, prefix: str) -> dict[tuple[str, str], float]:
    """(topic without prefix, idempotency key) -> the record's timestamp, every topic read
    from the start."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [
            TopicPartition(t, p)
            for t in all_topic_names(prefix)
            if not t.endswith(".dlq")
            for p in range(PARTITIONS)
        ]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        found: dict[tuple[str, str], float] = {}
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    try:
                        key = json.loads(record.value or b"{}").get("idempotency_key")
                    except ValueError:
                        continue
                    if key:
                        found.setdefault((tp.topic[len(prefix) :], key), record.timestamp / 1000)
        return found
    finally:
        await consumer.stop()


async def marks_of(
    conn: asyncpg.Connection, run_id: str, prefix: str, kafka: dict[tuple[str, str], float]
) -> Marks:
    """Every timestamp one run left, labelled by hop."""
    marks: Marks = {}
    rid = uuid.UUID(run_id)
    outbox = await conn.fetch(
        "SELECT id, topic, payload, created_at, sent_at FROM outbox WHERE key = $1 ORDER BY id",
        run_id,
    )
    seen: dict[str, int] = defaultdict(int)
    for row in outbox:
        topic = str(row["topic"])[len(prefix) :]
        seen[topic] += 1
        label = topic if seen[topic] == 1 else f"{topic}#{seen[topic]}"
        key = json.loads(bytes(row["payload"])).get("idempotency_key")
        marks[f"{label} outbox created"] = _ts(row["created_at"]) or 0.0
        if row["sent_at"] is not None:
            marks[f"{label} relay round (sent_at)"] = _ts(row["sent_at"]) or 0.0
        if (topic, key) in kafka:
            marks[f"{label} kafka record"] = kafka[(topic, key)]
        for claim in await conn.fetch(
            "SELECT consumer, processed_at FROM processed_messages WHERE idempotency_key = $1",
            key,
        ):
            marks[f"{label} inbox {claim['consumer']}"] = _ts(claim["processed_at"]) or 0.0
    for p in await conn.fetch(
        "SELECT action_type, created_at, decided_at FROM proposed_actions WHERE run_id = $1",
        rid,
    ):
        marks[f"proposal {p['action_type']} created"] = _ts(p["created_at"]) or 0.0
        if p["decided_at"] is not None:
            marks[f"proposal {p['action_type']} decided"] = _ts(p["decided_at"]) or 0.0
    for s in await conn.fetch(
        "SELECT step_id, started_at, finished_at FROM workflow_run_steps WHERE run_id = $1", rid
    ):
        for col in ("started_at", "finished_at"):
            if s[col] is not None:
                marks[f"step {s['step_id']} {col[:-3]}"] = _ts(s[col]) or 0.0
    for push in await conn.fetch(
        "SELECT record_type, created_at, applied_at FROM ns_pending_pushes WHERE run_id = $1", rid
    ):
        marks[f"ns push {push['record_type']} created"] = _ts(push["created_at"]) or 0.0
        if push["applied_at"] is not None:
            marks[f"ns push {push['record_type']} applied"] = _ts(push["applied_at"]) or 0.0
    run = await conn.fetchrow("SELECT completed_at FROM workflow_runs WHERE run_id = $1", rid)
    if run is not None and run["completed_at"] is not None:
        marks["run completed_at"] = _ts(run["completed_at"]) or 0.0
    return marks


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(traces: list[tuple[Marks, float, float, float, float]]) -> str:
    """Per mark: p50/p99 ms after its reference, and of the step from the previous mark."""
    offsets: dict[str, list[float]] = defaultdict(list)
    steps: dict[str, list[float]] = defaultdict(list)
    phase_of: dict[str, str] = {}
    ordered_runs: list[list[tuple[str, float]]] = []
    for marks, submit, staged, approve, end in traces:
        marks = {**marks, "driver: staged seen": staged, "driver: end seen": end}
        marks["driver: approve sent"] = approve
        run_marks = []
        for label, at in marks.items():
            after_approval = at >= approve and label != "driver: staged seen"
            ref = approve if after_approval else submit
            phase_of.setdefault(label, "approve" if after_approval else "submit")
            offsets[label].append((at - ref) * 1000)
            run_marks.append((label, at))
        ordered_runs.append(sorted(run_marks, key=lambda m: m[1]))
    order = sorted(
        offsets,
        key=lambda lbl: (phase_of[lbl] == "approve", statistics.median(offsets[lbl])),
    )
    rank = {label: i for i, label in enumerate(order)}
    for run_marks in ordered_runs:
        by_rank = sorted(run_marks, key=lambda m: rank[m[0]])
        for (_prev, t_prev), (label, at) in itertools.pairwise(by_rank):
            steps[label].append((at - t_prev) * 1000)
    lines = [f"{'mark':<62} {'ref':>7} {'p50':>8} {'p99':>8} {'step p50':>9} {'step p99':>9}"]
    for label in order:
        vals = offsets[label]
        st = steps.get(label, [0.0])
        lines.append(
            f"{label:<62} {phase_of[label]:>7} {_pct(vals, 0.5):8.1f} {_pct(vals, 0.99):8.1f}"
            f" {_pct(st, 0.5):9.1f} {_pct(st, 0.99):9.1f}"
        )
    e2e = [(end - approve) * 1000 for _m, _s, _st, approve, end in traces]
    sub = [(staged - submit) * 1000 for _m, submit, staged, _a, _e in traces]
    lines.append(
        f"runs={len(traces)}  submit->staged p50/p99 {_pct(sub, 0.5):.0f}/{_pct(sub, 0.99):.0f} ms"
        f"  approve->end p50/p99 {_pct(e2e, 0.5):.0f}/{_pct(e2e, 0.99):.0f} ms"
    )
    return "\n".join(lines)


async def main(runs: int, warmup: int) -> None:
    system = CascadeSystem()
    await system.start()
    try:
        assert system.stack is not None
        assert system.stack.settings is not None
        settings = system.stack.settings
        tag = uuid.uuid4().hex[:6]
        await drive(system, warmup, tag, 0)
        timed = await drive(system, runs, tag, warmup)
        await asyncio.sleep(1.0)  # the last rows' relay marks commit
        kafka = await kafka_times(settings.kafka_bootstrap, settings.topic_prefix)
        conn = await asyncpg.connect(_dsn(settings.database_url, f"f_{system.stack.tag}"))
        try:
            traces: list[tuple[Marks, float, float, float, float]] = []
            for run_id, submit, staged, approve, end in timed:
                marks = await marks_of(conn, run_id, settings.topic_prefix, kafka)
                traces.append((marks, submit, staged, approve, end))
        finally:
            await conn.close()
        print(report(traces), flush=True)
    finally:
        await system.stop()


if __name__ == "__main__":
    args: list[Any] = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 40, int(args[1]) if len(args) > 1 else 5))
