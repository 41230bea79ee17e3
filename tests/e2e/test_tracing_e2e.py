"""One run, one trace: every service's spans of a new_customer run share its trace id.

The services export over OTLP/HTTP to a receiver in this process
(`cascade.devstack.otlp_receiver`). Sales posts to intake (the trace's root, an HTTP server
span); the runner proposes; Mike approves through the approvals API (his request is not part
of the run's trace: the decision continues the proposal's, linked to his request); ns-pusher
pushes to NetSuite; the verifier checks. Kafka hops are producer/consumer span pairs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from cascade.devstack.netsuite_sim import client_env, start_simulator
from cascade.devstack.otlp_receiver import OtlpReceiver, ReceivedSpan, running_receiver
from cascade.devstack.pytest_plugin import StartService
from cascade.devstack.service_process import ServiceProcess
from cascade.devstack.waiting import eventually
from tests.e2e.test_new_customer_e2e import TOKEN, run_new_customer

pytestmark = pytest.mark.e2e

SERVICES = ("intake", "runner", "approvals", "ns_pusher", "verifier")
DECISION = "approvals approved proposal"
DESTINATION = "messaging.destination.name"


def start_traced_stack(
    start_service: StartService, data_dir: Path, endpoint: str
) -> dict[str, ServiceProcess]:
    sim = start_simulator(start_service, data_dir)
    netsuite = client_env(sim)
    traced = {
        "CASCADE_OTEL_EXPORTER": "otlp",
        "CASCADE_OTEL_ENDPOINT": endpoint,
        "CASCADE_OTEL_EXPORT_DELAY_MS": "200",
    }
    scale = {"CASCADE_VERIFY_WINDOW_SCALE": "0.001"}
    started = start_service.many(
        [
            ("intake", traced),
            ("runner", {**traced, **scale}),
            ("approvals", {**traced, "CASCADE_ADMIN_TOKEN": TOKEN}),
            ("ns_pusher", {**traced, **netsuite, "CASCADE_ADMIN_TOKEN": TOKEN}),
            ("verifier", {**traced, **netsuite, **scale}),
        ]
    )
    names = ("intake", "runner", "approvals", "ns_pusher", "verifier")
    return {"sim": sim, **dict(zip(names, started, strict=True))}


def run_trace(receiver: OtlpReceiver, run_id: str) -> str:
    """The trace id of the approvals decision on `run_id`'s proposal (exactly one)."""
    decisions = [s for s in receiver.spans() if s.name == DECISION and _run_of(s) == run_id]
    assert len(decisions) == 1, decisions
    return decisions[0].trace_id


def _run_of(span: ReceivedSpan) -> str | None:
    value = span.attributes.get("run_id", span.attributes.get("messaging.kafka.message.key"))
    return None if value is None else str(value)


async def test_one_run_is_one_trace_across_every_service(
    start_service: StartService, tmp_path: Path
) -> None:
    with running_receiver() as (receiver, endpoint):
        stack = start_traced_stack(start_service, tmp_path / "netsuite", endpoint)
        run_id = await run_new_customer(stack)

        async def every_service_exported() -> bool:
            if not any(s.name == DECISION and _run_of(s) == run_id for s in receiver.spans()):
                return False
            spans = receiver.trace_of(run_trace(receiver, run_id))
            services = {s.service for s in spans}
            verified = any(
                s.kind == "producer" and s.attributes[DESTINATION].endswith("verify.result")
                for s in spans
            )
            wanted = {f"cascade-{name}" for name in SERVICES}
            return wanted <= services and verified

        await eventually(every_service_exported, within=30)
        trace_id = run_trace(receiver, run_id)
        spans = receiver.trace_of(trace_id)
        everything = receiver.spans()

    by_id = {s.span_id: s for s in spans}
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 1, f"one root: {roots}"
    root = roots[0]
    assert (root.service, root.kind) == ("cascade-intake", "server"), root
    assert root.attributes.get("http.route") == "/v1/runs", root.attributes

    # Every record of the run (keyed by its run id), in every service, is in this trace.
    keyed = [s for s in everything if s.attributes.get("messaging.kafka.message.key") == run_id]
    assert {s.trace_id for s in keyed} == {trace_id}
    # Every service did work in it. Not "every service published": any service's relay
    # publishes any unsent outbox row (one table), so who sends a record is a race.
    assert {s.service for s in spans} >= {f"cascade-{name}" for name in SERVICES}

    # Messaging semantic conventions: each consumer span's parent is a producer span of the
    # same topic, in another service or the same.
    consumed = [s for s in spans if s.kind == "consumer"]
    assert consumed, "the run crossed Kafka"
    for span in consumed:
        parent = by_id.get(span.parent_span_id)
        assert parent is not None, f"{span.name}: parent exported too"
        assert parent.kind == "producer", (span.name, parent.name)
        assert span.attributes["messaging.system"] == "kafka"
        assert span.attributes["messaging.operation.type"] == "process"
        dest = span.attributes[DESTINATION]
        assert parent.attributes[DESTINATION] == dest
        assert span.name == f"process {dest}"
    topics = Counter(s.attributes[DESTINATION] for s in consumed)
    for event in ("workflow.requested", "proposal.approved", "ns.push", "ns.push.result"):
        assert any(t.endswith(event) for t in topics), (event, topics)

    # The decision continues the run's trace, linked to Mike's own request (another trace).
    decision = next(s for s in spans if s.name == DECISION)
    assert decision.links, decision
    assert trace_id not in decision.links, decision

    # Work started later from job rows continues the trace: the NetSuite push (with its HTTP
    # call to NetSuite under it) and the verify checks; SQL is traced too.
    pushes = [s for s in spans if s.service == "cascade-ns_pusher" and s.name == "ns-pusher job"]
    assert pushes, "the NetSuite push"
    calls = [s for s in spans if s.kind == "client" and s.service == "cascade-ns_pusher"]
    http = {"http.request.method", "http.method"}
    assert any(http & set(s.attributes) for s in calls), [s.name for s in calls]
    assert any(s.service == "cascade-verifier" and s.name == "verifier job" for s in spans)
    assert any("db.system" in s.attributes or "db.system.name" in s.attributes for s in spans)
    hops = [s for s in spans if s.kind in ("producer", "consumer")]
    assert not any(s.error for s in hops), [s.name for s in hops if s.error]
