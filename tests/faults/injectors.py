"""What the suite throws at the stack: poison records, forged events and timed faults.

Poison and forged records go straight to Kafka (as a broken or hostile producer would) and
are remembered as `Injected`, so the checker can tell what the DLQ may hold and which runs
forged events must have left alone.
"""

from __future__ import annotations

import functools
import json
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from cascade.devstack.kafka_inspect import produce_raw
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic, topic_name
from tests.faults.checker import Injected
from tests.faults.harness import FaultStack, _dsn
from tests.faults.timeline import hold

#: Every topic some service consumes (the ones a poison or forged record can reach).
CONSUMED = (
    Topic.INTAKE_REQUESTED,
    Topic.INTAKE_ADMIN_REQUESTED,
    Topic.WORKFLOW_REQUESTED,
    Topic.PROPOSAL_APPROVED,
    Topic.PROPOSAL_REJECTED,
    Topic.NS_PUSH,
    Topic.NS_PUSH_RESULT,
    Topic.NS_PUSH_RETRY,
    Topic.WORKFLOW_COMPLETED,
    Topic.WORKFLOW_PARTIAL,
    Topic.VERIFY_RESULT,
)


def poison_payloads(topic: Topic) -> dict[str, bytes]:
    """One record of each poison kind for `topic` (each unique, so the DLQ can be matched)."""
    tag = uuid.uuid4().hex
    depth = 20_000
    wrong = new_envelope(str(topic), "faults", uuid.uuid4(), {"bogus": tag, "nested": [1]})
    return {
        "deep_nesting": b'{"a":' * depth + f'"{tag}"'.encode() + b"}" * depth,
        "non_utf8": b'{"id": "\xff\xfe' + tag.encode() + b'\xc3\x28"}',
        "nul": b'{"id": "a\x00' + tag.encode() + b'", "type": "x"}',
        "huge": json.dumps({"tag": tag, "junk": "x" * 600_000}).encode(),
        "not_envelope": json.dumps([tag, 1, 2, 3]).encode(),
        "wrong_schema": wrong.to_bytes(),
    }


async def publish_poison(stack: FaultStack, topics: tuple[Topic, ...] = CONSUMED) -> list[Injected]:
    """Every poison kind on every consumed topic; what was sent."""
    assert stack.settings is not None
    sent: list[Injected] = []
    for topic in topics:
        physical = topic_name(stack.settings.topic_prefix, topic)
        for kind, payload in poison_payloads(topic).items():
            await produce_raw(stack.settings.kafka_bootstrap, physical, payload, str(uuid.uuid4()))
            sent.append(Injected(kind, str(topic), payload))
    return sent


async def _gate_of(stack: FaultStack, run_id: str) -> dict[str, Any] | None:
    assert stack.settings is not None
    conn = await asyncpg.connect(_dsn(stack.settings.database_url, f"f_{stack.tag}"))
    try:
        row = await conn.fetchrow(
            "SELECT id, action_type, version, payload_sha256 FROM proposed_actions"
            " WHERE run_id = $1 AND action_type LIKE 'workflow_%'",
            uuid.UUID(run_id),
        )
    finally:
        await conn.close()
    return dict(row) if row is not None else None


def _forged_envelopes(run_id: uuid.UUID, gate: dict[str, Any] | None) -> list[tuple[Topic, Any]]:
    """The lies, each with the right shape: approvals and rejections of a proposal that is
    pending, a push result for a push that does not exist, pushes and retries of unknown
    pushes, a run ended that did not end."""
    suffix = f"forged-{uuid.uuid4().hex[:8]}"
    push_id = random.randint(10**9, 2 * 10**9)
    decision = {
        "proposal_id": gate["id"] if gate else random.randint(10**9, 2 * 10**9),
        "action_type": gate["action_type"] if gate else "workflow_new_customer",
        "version": gate["version"] if gate else 1,
        "payload_sha256": gate["payload_sha256"] if gate else "0" * 64,
        "decided_by": "mike",
    }
    email = {**decision, "action_type": "propose_email_to_customer"}
    result = {
        "push_id": push_id,
        "record_type": "customer",
        "external_id": f"cascade-{run_id}",
        "status": "applied",
        "netsuite_id": "FORGED-999",
        "attempts": 1,
    }
    ended = {
        "workflow_type": "new_customer",
        "status": "completed",
        "completed_at": "2026-01-01T00:00:00Z",
    }
    push = {"push_id": push_id, "record_type": "customer", "external_id": f"forged-{run_id}"}
    made: list[tuple[Topic, dict[str, Any]]] = [
        (Topic.PROPOSAL_APPROVED, decision),
        (Topic.PROPOSAL_APPROVED, email),
        (Topic.PROPOSAL_REJECTED, decision),
        (Topic.NS_PUSH_RESULT, result),
        (Topic.NS_PUSH, push),
        (Topic.NS_PUSH_RETRY, {"push_id": push_id, "requested_by": "mike"}),
        (Topic.WORKFLOW_COMPLETED, ended),
        (Topic.WORKFLOW_PARTIAL, {**ended, "status": "partial"}),
    ]
    return [(t, new_envelope(str(t), "approvals", run_id, d, key_suffix=suffix)) for t, d in made]


async def publish_forged(
    stack: FaultStack, run_ids: list[str], topics: tuple[Topic, ...] | None = None
) -> list[Injected]:
    """Forged events on every topic a service consumes (or on `topics`), naming each of
    `run_ids` (decoys waiting for Mike, or ids no run has); what was sent."""
    assert stack.settings is not None
    sent: list[Injected] = []
    for run_id in run_ids:
        gate = await _gate_of(stack, run_id)
        for topic, envelope in _forged_envelopes(uuid.UUID(run_id), gate):
            if topics is not None and topic not in topics:
                continue
            payload = envelope.to_bytes()
            physical = topic_name(stack.settings.topic_prefix, topic)
            await produce_raw(stack.settings.kafka_bootstrap, physical, payload, run_id)
            sent.append(Injected(f"forged_{topic}", str(topic), payload, run_id))
    return sent


# --- timed faults for the soak ------------------------------------------------------------

Fault = Callable[[FaultStack], Awaitable[None]]


async def _kill_restart(stack: FaultStack, *, name: str) -> None:
    await stack.kill9(name)
    await hold(1.0)  # the outage
    await stack.restart(name)


async def _netsuite(stack: FaultStack, kind: str, count: int, **extra: Any) -> None:
    await stack.netsuite_fault(kind, count, **extra)


async def _smtp_outage(stack: FaultStack, down_s: float = 8.0) -> None:
    stack.smtp_down()
    try:
        await hold(down_s)
    finally:
        stack.smtp_up()


CRASH_POINTS = {
    "runner": (
        "relay_after_publish",
        "runner.proposal_approved_after_commit",
        "runner.ns_push_result_after_commit",
        *(
            f"runner_step_{step}_{when}_commit"
            for step in ("write_d1", "write_ns", "assign_programs", "welcome_email")
            for when in ("before", "after")
        ),
        "runner_mid_fanout",
    ),
    "ns_pusher": ("ns_pusher_after_claim", "ns_pusher_after_netsuite", "relay_after_publish"),
    "verifier": ("verifier_after_claim", "verifier_after_check"),
    "approvals": (
        "approvals_email_after_commit",
        "email_after_smtp_accept",
        "relay_after_publish",
    ),
    "intake": ("relay_after_publish",),
}


async def _crash(stack: FaultStack) -> None:
    name = random.choice(sorted(CRASH_POINTS))
    point = random.choice(CRASH_POINTS[name])
    await stack.crash_at(name, point, within=30.0)


def soak_faults() -> dict[str, Fault]:
    """Every fault kind the soak draws from, by name (the names are the report's keys)."""
    faults: dict[str, Fault] = {
        f"kill9_{name}": functools.partial(_kill_restart, name=name)
        for name in ("intake", "runner", "approvals", "ns_pusher", "verifier")
    }
    faults.update(
        {
            "crash_point": _crash,
            "kafka_kill": lambda s: s.kill_kafka(5.0),
            "kafka_pause": lambda s: s.pause_kafka(15.0),
            "postgres_restart_immediate": lambda s: s.restart_postgres(),
            "postgres_stop_20s": lambda s: s.stop_postgres(20.0),
            "netsuite_500": lambda s: _netsuite(s, "error500", 3),
            "netsuite_429": lambda s: _netsuite(s, "rate_limit", 3, retry_after_s=1),
            "netsuite_hang": lambda s: _netsuite(s, "hang", 2, hang_s=5.0),
            "netsuite_commit_then_drop": lambda s: _netsuite(s, "drop_after_commit", 2),
            "smtp_down": _smtp_outage,
        }
    )
    return faults


@dataclass
class FaultLog:
    """Which faults ran (and which failed to run, which is the harness's problem)."""

    done: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    async def run(self, stack: FaultStack, name: str, fault: Fault) -> None:
        """Run one fault, counting it; a fault that raises is logged, never fatal."""
        try:
            await fault(stack)
            self.done[name] += 1
        except Exception as exc:
            self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
