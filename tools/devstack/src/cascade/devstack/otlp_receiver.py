"""A test-support OTLP/HTTP trace receiver: what the services export, kept in memory.

The services' exporter (`CASCADE_OTEL_EXPORTER=otlp`) posts protobuf
`ExportTraceServiceRequest`s to `POST /v1/traces`; this server decodes them into plain
`ReceivedSpan`s that a test reads (`spans()`, `trace_of()`). It runs in a thread of the
test process, on a free loopback port, so it needs no event loop and no collector binary.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan

TRACES_PATH = "/v1/traces"
PROTOBUF = "application/x-protobuf"
MAX_BODY_BYTES = 16 * 1024 * 1024

_KINDS = {
    ProtoSpan.SPAN_KIND_INTERNAL: "internal",
    ProtoSpan.SPAN_KIND_SERVER: "server",
    ProtoSpan.SPAN_KIND_CLIENT: "client",
    ProtoSpan.SPAN_KIND_PRODUCER: "producer",
    ProtoSpan.SPAN_KIND_CONSUMER: "consumer",
}


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span: ids as lowercase hex (`parent_span_id` empty for a root), the
    exporting service (`service.name`), kind as a word, attributes as Python values."""

    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    service: str
    attributes: dict[str, Any]
    links: tuple[str, ...] = ()
    """The trace ids of the spans it links to."""
    error: bool = False


def _value(value: AnyValue) -> Any:
    field = value.WhichOneof("value")
    if field is None:
        return None
    if field == "array_value":
        return [_value(v) for v in value.array_value.values]
    if field == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if field == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, field)


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {kv.key: _value(kv.value) for kv in pairs}


def decode_request(body: bytes) -> list[ReceivedSpan]:
    """The spans of one `ExportTraceServiceRequest` (protobuf bytes)."""
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    received: list[ReceivedSpan] = []
    for resource_spans in request.resource_spans:
        service = str(_attributes(resource_spans.resource.attributes).get("service.name", ""))
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                received.append(
                    ReceivedSpan(
                        trace_id=span.trace_id.hex(),
                        span_id=span.span_id.hex(),
                        parent_span_id=span.parent_span_id.hex(),
                        name=span.name,
                        kind=_KINDS.get(span.kind, "unspecified"),
                        service=service,
                        attributes=_attributes(span.attributes),
                        links=tuple(link.trace_id.hex() for link in span.links),
                        error=span.status.code == span.status.STATUS_CODE_ERROR,
                    )
                )
    return received


def _inflate(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class OtlpReceiver:
    """Keeps every span posted to it; thread-safe reads."""

    def __init__(self) -> None:
        self._spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()

    def add(self, spans: list[ReceivedSpan]) -> None:
        """Keep `spans` (called by the server's request threads)."""
        with self._lock:
            self._spans.extend(spans)

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far, in arrival order."""
        with self._lock:
            return list(self._spans)

    def trace_of(self, trace_id: str) -> list[ReceivedSpan]:
        """The spans received so far of one trace."""
        return [s for s in self.spans() if s.trace_id == trace_id]


def _handler(receiver: OtlpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != TRACES_PATH or not 0 < length <= MAX_BODY_BYTES:
                self.send_error(404 if self.path != TRACES_PATH else 400)
                return
            body = self.rfile.read(length)
            try:
                encoding = (self.headers.get("Content-Encoding") or "").lower()
                receiver.add(decode_request(_inflate(body, encoding)))
            except Exception as exc:  # a malformed export is the exporter's bug: say so
                self.send_error(400, f"undecodable export: {type(exc).__name__}")
                return
            answer = ExportTraceServiceResponse().SerializeToString()
            self.send_response(200)
            self.send_header("Content-Type", PROTOBUF)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return  # a request line per export batch would drown the test's output

    return Handler


@contextmanager
def running_receiver(host: str = "127.0.0.1") -> Iterator[tuple[OtlpReceiver, str]]:
    """A receiver serving on a free port of `host` for the block, and its traces URL
    (what `CASCADE_OTEL_ENDPOINT` takes)."""
    receiver = OtlpReceiver()
    server = ThreadingHTTPServer((host, 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="otlp receiver", daemon=True)
    thread.start()
    try:
        yield receiver, f"http://{host}:{server.server_address[1]}{TRACES_PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
