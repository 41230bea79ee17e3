"""Tracing's pure parts: stored trace contexts, the sampler, record headers."""

from __future__ import annotations

from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import SpanKind

from cascade.shared.settings import Settings
from cascade.shared.tracing import (
    TRACEPARENT,
    build_provider,
    context_of,
    exports,
    header_traceparent,
    record_headers,
)

STORED = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_stored_traceparent_is_continued_and_a_malformed_one_ignored() -> None:
    assert context_of(STORED) is not None
    for bad in (None, "", "not-a-traceparent", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"):
        assert context_of(bad) is None, bad


def test_roots_are_work_not_stray_sql_or_http_calls() -> None:
    sampler = build_provider(Settings(), "tests").sampler
    for kind, decision in [
        (SpanKind.CLIENT, Decision.DROP),
        (SpanKind.SERVER, Decision.RECORD_AND_SAMPLE),
        (SpanKind.CONSUMER, Decision.RECORD_AND_SAMPLE),
        (SpanKind.PRODUCER, Decision.RECORD_AND_SAMPLE),
        (SpanKind.INTERNAL, Decision.RECORD_AND_SAMPLE),
    ]:
        assert sampler.should_sample(None, 1, "x", kind).decision == decision, kind
    # Under a sampled parent, every span is kept: a trace is whole.
    inside = sampler.should_sample(context_of(STORED), 1, "SELECT", SpanKind.CLIENT)
    assert inside.decision == Decision.RECORD_AND_SAMPLE


def test_the_record_names_the_producer_span() -> None:
    provider = build_provider(Settings(), "tests")
    tracer = provider.get_tracer("tests")
    span = tracer.start_span("send x", context=context_of(STORED), kind=SpanKind.PRODUCER)
    headers = record_headers({TRACEPARENT: STORED, "ce_type": "x"}, span)
    span.end()
    own = header_traceparent([(name, value.encode()) for name, value in headers.items()])
    assert own is not None
    _, trace_id, span_id, _ = own.split("-")
    assert trace_id == STORED.split("-")[1], "same trace"
    assert span_id == format(span.get_span_context().span_id, "016x"), "the producer's span"
    assert headers["ce_type"] == "x"


def test_no_exporter_unless_otlp() -> None:
    quiet = build_provider(Settings(), "tests")
    assert not quiet._active_span_processor._span_processors
    loud = build_provider(Settings(otel_exporter="otlp"), "tests")
    assert len(loud._active_span_processor._span_processors) == 1
    loud.shutdown()


def test_sql_and_http_out_spans_only_when_exported() -> None:
    assert not exports(Settings())
    assert exports(Settings(otel_exporter="otlp"))
