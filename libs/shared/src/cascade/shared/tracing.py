"""OpenTelemetry tracing: one trace per run, across every hop of every service.

A service process sets the SDK up once (`trace_service`, called by `cascade.shared.serve`):
spans of HTTP requests in (FastAPI), SQL (SQLAlchemy) and HTTP calls out (httpx: NetSuite,
checks), plus Cascade's own spans of the message path and of leased jobs. Export is off by
default (`CASCADE_OTEL_EXPORTER=none`: spans exist, so trace ids and `traceparent` values
travel, but nothing leaves the process); `otlp` sends them over OTLP/HTTP.

The context crosses process boundaries as a W3C `traceparent`:
- an outbox row keeps the one of the work that staged it in its headers; the relay's
  producer span continues it and puts its own in the Kafka record's `traceparent` header,
  which the consumer's span continues (OpenTelemetry messaging semantic conventions);
- a job row (steps, NetSuite pushes, emails, object puts, verify checks, proposals) keeps the
  one of the work that inserted it (`traceparent_column`), so work that starts later, in
  another process or after a restart, continues the run's trace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Mapped, mapped_column

from cascade.shared.settings import Settings

TRACEPARENT = "traceparent"
"""The W3C trace-context header, in outbox rows' headers and Kafka records' headers."""
TRACEPARENT_LENGTH = 55
"""`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`."""
TRACER_NAME = "cascade"

_PROPAGATOR = TraceContextTextMapPropagator()

# Health probes and scrapes answer every few seconds: spans of them would bury the runs'.
_UNTRACED_URLS = "healthz,metrics"


def tracer() -> trace.Tracer:
    """Cascade's tracer (a no-op one until `start_tracing` ran in this process)."""
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The `traceparent` of the span current here, or None outside any (or untraced)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def traceparent_of(span: Span) -> str | None:
    """The `traceparent` naming `span` as the parent of what continues it."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT)


def context_of(traceparent: str | None) -> Context | None:
    """The context a stored `traceparent` names, or None (continue the current one)."""
    if not traceparent:
        return None
    extracted = _PROPAGATOR.extract({TRACEPARENT: traceparent})
    if not trace.get_current_span(extracted).get_span_context().is_valid:
        return None  # malformed: the span starts where it is, rather than nowhere
    return extracted


def traceparent_header(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` with the current span's `traceparent` added (when there is one)."""
    current = current_traceparent()
    return {**headers, TRACEPARENT: current} if current else dict(headers)


def traceparent_column() -> Mapped[str | None]:
    """A job table's `traceparent`: the trace of the work that inserted the row (an ORM or
    Core insert fills it in), continued by the work the row starts later."""
    return mapped_column(String(TRACEPARENT_LENGTH), default=_inserting_traceparent)


def _inserting_traceparent() -> str | None:
    # A column default: SQLAlchemy calls it with no argument here, inside the flush of the
    # transaction that inserts the row, so the current span is the inserting work's.
    return current_traceparent()


@contextlib.contextmanager
def continued_span(
    name: str,
    traceparent: str | None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Attributes = None,
    link_current: bool = False,
) -> Iterator[Span]:
    """A span (current inside the block) continuing the stored `traceparent`, or the
    current trace when there is none; `link_current` links the span it leaves (e.g. an
    admin's HTTP request that decided a run's proposal, in the run's trace)."""
    parent = context_of(traceparent)
    links: Sequence[Link] = ()
    if link_current and parent is not None:
        here = trace.get_current_span().get_span_context()
        links = (Link(here),) if here.is_valid else ()
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes, links=links
    ) as span:
        yield span


# OpenTelemetry messaging semantic conventions (stable attribute names as of semconv 1.26+).
MESSAGING_SYSTEM = "messaging.system"
DESTINATION = "messaging.destination.name"
OPERATION_TYPE = "messaging.operation.type"
OPERATION_NAME = "messaging.operation.name"
CONSUMER_GROUP = "messaging.consumer.group.name"
PARTITION = "messaging.destination.partition.id"
MESSAGE_KEY = "messaging.kafka.message.key"
OFFSET = "messaging.kafka.offset"
MESSAGE_ID = "messaging.message.id"


def producer_attributes(topic: str, key: str | None) -> dict[str, Any]:
    """A `send` span's attributes for a record of `topic` keyed `key`."""
    attributes: dict[str, Any] = {
        MESSAGING_SYSTEM: "kafka",
        DESTINATION: topic,
        OPERATION_TYPE: "send",
        OPERATION_NAME: "send",
    }
    if key is not None:
        attributes[MESSAGE_KEY] = key
    return attributes


def start_producer_span(topic: str, key: str | None, headers: Mapping[str, str]) -> Span:
    """The `send <topic>` span of one outbox row, continuing the trace the row was staged
    in (its `traceparent` header); ended by the caller once the broker acked (or not)."""
    return tracer().start_span(
        f"send {topic}",
        context=context_of(headers.get(TRACEPARENT)) or Context(),
        kind=SpanKind.PRODUCER,
        attributes=producer_attributes(topic, key),
    )


def record_headers(headers: Mapping[str, str], span: Span) -> dict[str, str]:
    """The Kafka record's headers: the row's, with `traceparent` naming the producer span
    (the row's own stays when the span is not recorded, e.g. tracing is not set up)."""
    own = traceparent_of(span) if span.get_span_context().is_valid else None
    return {**headers, TRACEPARENT: own} if own else dict(headers)


def end_span(span: Span, error: BaseException | None = None) -> None:
    """End `span`, marked failed with `error` when there was one."""
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"[:500]))
    span.end()


def header_traceparent(headers: Sequence[tuple[str, bytes]]) -> str | None:
    """The `traceparent` a Kafka record carries, if any."""
    for name, value in headers:
        if name.lower() == TRACEPARENT:
            return value.decode("ascii", "replace")
    return None


def consumer_attributes(
    topic: str, partition: int, offset: int, key: str | None, group: str
) -> dict[str, Any]:
    """A `process` span's attributes for one record."""
    attributes: dict[str, Any] = {
        MESSAGING_SYSTEM: "kafka",
        DESTINATION: topic,
        OPERATION_TYPE: "process",
        OPERATION_NAME: "process",
        CONSUMER_GROUP: group,
        PARTITION: str(partition),
        OFFSET: offset,
    }
    if key is not None:
        attributes[MESSAGE_KEY] = key
    return attributes


class _WorkRootsOnly(Sampler):
    """Roots only for work: a SQL statement or HTTP call made outside any traced work (a
    poller's claim, an idle relay round) would start a trace of one span each second."""

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: Any = None,
    ) -> SamplingResult:
        if kind == SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "WorkRootsOnly"


def build_provider(settings: Settings, service: str) -> TracerProvider:
    """The SDK provider of service `service`: every span of work sampled (a trace is whole or
    absent), exported over OTLP/HTTP only when `otel_exporter` is `otlp`."""
    resource = Resource.create(
        {"service.name": f"cascade-{service}", "service.namespace": "cascade"}
    )
    provider = TracerProvider(resource=resource, sampler=ParentBased(root=_WorkRootsOnly()))
    if settings.otel_exporter == "otlp":
        # Imported here: a process that exports nothing never loads the protobuf stack.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(
            endpoint=settings.otel_endpoint, timeout=settings.otel_export_timeout_s
        )
        processor = BatchSpanProcessor(
            exporter, schedule_delay_millis=settings.otel_export_delay_ms
        )
        provider.add_span_processor(processor)
    return provider


def start_tracing(settings: Settings, service: str) -> TracerProvider:
    """Install the SDK provider for this process (once: OpenTelemetry's provider is
    process-wide) and, when spans leave the process, instrument httpx, whose clients are
    made all over."""
    provider = build_provider(settings, service)
    trace.set_tracer_provider(provider)
    if exports(settings):
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    return provider


def exports(settings: Settings) -> bool:
    """Whether spans leave the process. Without an exporter the leaves (a span per SQL
    statement and per HTTP call out, which nobody would read: 6-8 % of each service's CPU
    under load) are not made; the spans of work are (requests in, Cascade's own), since
    they give log lines their trace ids and carry `traceparent` across hops."""
    return settings.otel_exporter != "none"


def instrument_service(
    app: FastAPI, engine: AsyncEngine, provider: TracerProvider, *, sql: bool = True
) -> None:
    """Spans for `app`'s requests (but health probes and scrapes) and, with `sql`,
    `engine`'s statements."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=_UNTRACED_URLS)
    if not sql:
        return
    # Its declared range stops below SQLAlchemy 2.1, whose engine events it hooks are the same
    # (tests/unit checks the spans), so the range check is skipped rather than the spans.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=provider, skip_dep_check=True
    )
