"""Trace context across the message path and job rows, on the real broker and database.

Work that stages an event has its `traceparent` kept in the outbox row; the relay's producer
span continues it and names itself in the Kafka record's `traceparent` header; the
consumer's span continues that. A job row inserted inside a span keeps its `traceparent`,
and the worker's attempt continues it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from faststream.kafka import KafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack.kafka_inspect import read_records
from cascade.devstack.on_cluster import stack  # noqa: F401 (the message path on three brokers)
from cascade.shared.consumer import ConsumerPolicy, IdempotentConsumer, RecordView
from cascade.shared.db.models import NsPendingPush, OutboxMessage
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.envelope import Envelope, new_envelope
from cascade.shared.leased_jobs import ClaimedJob, JobTable, LeasedWorker, WorkerPace, claim_jobs
from cascade.shared.messaging import broker_publisher, build_broker
from cascade.shared.outbox import OutboxRelay, RelayConfig, stage
from cascade.shared.settings import Settings
from cascade.shared.topics import Topic, topic_name
from cascade.shared.tracing import TRACEPARENT, build_provider, current_traceparent, tracer

pytestmark = pytest.mark.integration

Factory = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans this process finishes. OpenTelemetry's provider is set once per process:
    the first test to need one installs the SDK's, later ones add their exporter to it."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = build_provider(Settings(), "tests")
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.shutdown()


@pytest.fixture
async def broker(settings: Settings) -> AsyncIterator[KafkaBroker]:
    started = build_broker(settings, client_id="test-tracing")
    await started.start()
    yield started
    await started.stop()


def hex_ids(span: ReadableSpan) -> tuple[str, str]:
    context = span.get_span_context()
    assert context is not None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def ids_in(traceparent: str | None) -> tuple[str, str]:
    """The trace and span ids a `traceparent` names (its flags aside)."""
    assert traceparent is not None
    _version, trace_id, span_id, _flags = traceparent.split("-")
    return trace_id, span_id


def parent_of(span: ReadableSpan) -> str | None:
    return None if span.parent is None else format(span.parent.span_id, "016x")


def named(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, [s.name for s in exporter.get_finished_spans()]
    return found[0]


async def test_staged_published_consumed_is_one_trace(
    settings: Settings,
    session_factory: Factory,
    broker: KafkaBroker,
    spans: InMemorySpanExporter,
) -> None:
    topic = topic_name(settings.topic_prefix, Topic.WORKFLOW_COMPLETED)
    run_id = uuid.uuid4()
    with tracer().start_as_current_span("staging work") as work:
        staged_by = current_traceparent()
        async with session_factory() as session, session.begin():
            stage(session, topic, new_envelope(Topic.WORKFLOW_COMPLETED, "test", run_id, {}))
    assert staged_by is not None
    async with session_factory() as session:
        row = (await session.scalars(select(OutboxMessage))).one()
    assert row.headers[TRACEPARENT] == staged_by, "the outbox row keeps the staging trace"

    relay = OutboxRelay(
        session_factory, broker_publisher(broker), RelayConfig.from_settings(settings)
    )
    assert await relay.publish_batch() == 1
    send = named(spans, f"send {topic}")
    trace_id, send_id = hex_ids(send)
    assert (trace_id, parent_of(send)) == hex_ids(work), "send continues the staging span"
    assert send.kind == SpanKind.PRODUCER
    assert send.attributes is not None
    assert dict(send.attributes) == {
        "messaging.system": "kafka",
        "messaging.destination.name": topic,
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.kafka.message.key": str(run_id),
    }

    (record,) = await read_records(settings.kafka_bootstrap, topic)
    headers = dict(record.headers)
    assert ids_in(headers[TRACEPARENT].decode()) == (trace_id, send_id)

    seen: list[str | None] = []

    async def handler(_envelope: Envelope, _uow: UnitOfWork) -> None:
        seen.append(current_traceparent())

    consumer = IdempotentConsumer("tracing-test", handler, session_factory, ConsumerPolicy())
    view = RecordView(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        key=record.key.decode() if record.key else None,
        value=record.value,
        headers=tuple(record.headers),
    )
    await consumer.process(view)
    process = named(spans, f"process {topic}")
    assert process.kind == SpanKind.CONSUMER
    assert hex_ids(process)[0] == trace_id
    assert parent_of(process) == send_id, "the consumer's span continues the producer's"
    assert process.attributes is not None
    assert process.attributes["messaging.consumer.group.name"] == "tracing-test"
    assert process.attributes["messaging.kafka.offset"] == record.offset
    assert [ids_in(tp) for tp in seen] == [hex_ids(process)], "the handler runs inside it"


PUSHES = JobTable(
    model=NsPendingPush,
    running="in_flight",
    waiting=("pending",),
    lease_column="next_attempt_at",
    claimed=ClaimedJob,
)


class TracedJobs:
    """A job kind that notes the trace each attempt runs in."""

    def __init__(self, factory: Factory) -> None:
        self._factory = factory
        self.attempted_in: list[str | None] = []

    async def claim(self, limit: int) -> list[ClaimedJob]:
        return await claim_jobs(self._factory, PUSHES, 30.0, None, limit)

    async def attempt(self, job: ClaimedJob) -> None:
        self.attempted_in.append(current_traceparent())

    async def record(self, job: ClaimedJob, result: Any) -> bool:
        return True

    def describe(self, job: ClaimedJob) -> str:
        return f"push {job.job_id}"


async def test_a_job_row_continues_the_trace_that_inserted_it(
    session_factory: Factory, spans: InMemorySpanExporter
) -> None:
    with tracer().start_as_current_span("inserting work") as work:
        inserted_by = current_traceparent()
        async with session_factory() as session, session.begin():
            session.add(
                NsPendingPush(
                    run_id=uuid.uuid4(),
                    record_type="customer",
                    external_id=f"ext-{uuid.uuid4()}",
                    payload={},
                    status="pending",
                    next_attempt_at=datetime.now(UTC),
                )
            )
    async with session_factory() as session:
        push = (await session.scalars(select(NsPendingPush))).one()
    assert push.traceparent == inserted_by, "the row keeps the inserting trace"

    jobs = TracedJobs(session_factory)
    worker = LeasedWorker(jobs, WorkerPace("tracing-jobs", poll_s=1.0))
    # Claimed and worked outside any span, as a background poller is.
    assert await asyncio.create_task(worker.run_once())
    job_span = named(spans, "tracing-jobs job")
    trace_id, span_id = hex_ids(job_span)
    assert (trace_id, parent_of(job_span)) == hex_ids(work), "the attempt continues it"
    assert [ids_in(tp) for tp in jobs.attempted_in] == [(trace_id, span_id)]
