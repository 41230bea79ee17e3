"""The AsyncAPI 3 document of every Cascade topic, built from the payload models.

One channel per topic (and one per dead-letter topic), its address `{prefix}<event type>`
(`CASCADE_TOPIC_PREFIX`); each message is the structured-mode CloudEvents envelope
(`cascade.shared.envelope`) whose `data` is the topic's payload model
(`cascade.shared.topic_payloads`), keyed by the run id, with its headers (`content-type`,
`ce_type`, the W3C `traceparent` of `cascade.shared.tracing`). Cascade both sends and
receives every topic, so each has a `send` and a `receive` operation.

Built here rather than by FastStream's generator: that one describes handler signatures
(ours take raw bytes, parsed with bounds), names a `correlation_id` header Cascade never
sends, and has no place for the record headers and key.

The committed copy is docs/asyncapi.json (`cascade asyncapi --write`, `make asyncapi`); a
unit test fails when it differs from this code; every service serves it at
`GET /asyncapi.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cascade.shared.envelope import CLOUDEVENTS_CONTENT_TYPE, Envelope
from cascade.shared.topic_payloads import TOPIC_PAYLOADS, TOPIC_SUMMARIES
from cascade.shared.topics import DLQ_SUFFIX, Topic
from cascade.shared.tracing import TRACEPARENT

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_PATH = Path("docs") / "asyncapi.json"
"""Where the committed copy lives, from the repository's root."""
ROUTE = "/asyncapi.json"
SCHEMAS = "#/components/schemas/"
KAFKA_BINDING_VERSION = "0.5.0"

_PREFIX_PARAMETER = {
    "description": (
        "CASCADE_TOPIC_PREFIX: prepended to every topic name (empty by default; tests and "
        "tenants isolate themselves with it)."
    ),
    "default": "",
}


def _camel(topic: str) -> str:
    return "".join(part.capitalize() for part in topic.replace("_", ".").split("."))


def _schemas() -> dict[str, Any]:
    """The JSON schemas of the envelope and of every payload model, refs into components."""
    models: list[type[BaseModel]] = [Envelope, *dict.fromkeys(TOPIC_PAYLOADS.values())]
    _, top = models_json_schema(
        [(model, "validation") for model in models], ref_template=SCHEMAS + "{model}"
    )
    defs: dict[str, Any] = top.get("$defs", {})
    return dict(sorted(defs.items()))


def _event_schema(topic: Topic, payload: type[BaseModel]) -> dict[str, Any]:
    """The envelope of `topic`: `type` is the topic's event type, `data` its payload."""
    return {
        "title": f"{_camel(topic)}Event",
        "description": f"A `{topic}` event: the CloudEvents envelope, `data` a {payload.__name__}.",
        "allOf": [
            {"$ref": f"{SCHEMAS}Envelope"},
            {
                "type": "object",
                "properties": {
                    "type": {"const": str(topic)},
                    "data": {"$ref": f"{SCHEMAS}{payload.__name__}"},
                },
                "required": ["data"],
            },
        ],
    }


_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "content-type": {"const": CLOUDEVENTS_CONTENT_TYPE},
        "ce_type": {"type": "string", "description": "The envelope's event type."},
        TRACEPARENT: {
            "type": "string",
            "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            "description": (
                "W3C trace context of the producer's span (OpenTelemetry messaging "
                "conventions): the consumer's span continues the run's trace."
            ),
        },
    },
    "required": ["content-type", "ce_type"],
}

_DLQ_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The original record's headers, then why it was dead-lettered.",
    "properties": {
        **_HEADERS["properties"],
        "x-cascade-error": {"type": "string", "description": "Why (at most 2000 chars)."},
        "x-cascade-consumer": {"type": "string", "description": "The consumer that gave up."},
        "x-cascade-origin": {
            "type": "string",
            "description": "Where the original sits: `<topic>:<partition>:<offset>`.",
        },
    },
    "required": ["x-cascade-error", "x-cascade-consumer", "x-cascade-origin"],
}

_RUN_KEY = {
    "key": {
        "type": "string",
        "format": "uuid",
        "description": "The run id: a run's events share a partition.",
    },
    "bindingVersion": KAFKA_BINDING_VERSION,
}


def _message(topic: Topic) -> dict[str, Any]:
    payload = TOPIC_PAYLOADS[topic]
    return {
        "name": _camel(topic),
        "title": str(topic),
        "summary": TOPIC_SUMMARIES[topic],
        "description": (payload.__doc__ or "").strip(),
        "contentType": CLOUDEVENTS_CONTENT_TYPE,
        "headers": {"$ref": f"{SCHEMAS}EventHeaders"},
        "payload": {"$ref": f"{SCHEMAS}{_camel(topic)}Event"},
        "correlationId": {
            "description": "The run this event belongs to.",
            "location": "$message.payload#/run_id",
        },
        "bindings": {"kafka": _RUN_KEY},
    }


def _channel(address: str, summary: str, message: str) -> dict[str, Any]:
    return {
        "address": "{prefix}" + address,
        "title": address,
        "summary": summary,
        "parameters": {"prefix": {"$ref": "#/components/parameters/prefix"}},
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }


def _operations(channel: str, message: str) -> dict[str, Any]:
    ref = {"$ref": f"#/channels/{channel}/messages/{message}"}
    return {
        f"send.{channel}": {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [ref],
        },
        f"receive.{channel}": {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [ref],
        },
    }


@cache
def document() -> dict[str, Any]:
    """The AsyncAPI 3 document (topics in their declared order; deterministic)."""
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas = _schemas()
    for topic in Topic:
        name = _camel(topic)
        messages[name] = _message(topic)
        schemas[f"{name}Event"] = _event_schema(topic, TOPIC_PAYLOADS[topic])
        channels[str(topic)] = _channel(str(topic), TOPIC_SUMMARIES[topic], name)
        operations |= _operations(str(topic), name)
    for topic in Topic:
        dlq = f"{topic}{DLQ_SUFFIX}"
        summary = f"`{topic}` records a consumer could not process, unchanged, with why."
        channels[dlq] = _channel(dlq, summary, "DeadLetter")
        operations |= _operations(dlq, "DeadLetter")
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "title": "dead letter",
        "summary": "A record as it arrived (its bytes may be malformed), with the reason.",
        "contentType": "application/octet-stream",
        "headers": {"$ref": f"{SCHEMAS}DeadLetterHeaders"},
        "payload": {"description": "The original record's value, byte for byte."},
        "bindings": {"kafka": _RUN_KEY},
    }
    schemas["EventHeaders"] = _HEADERS
    schemas["DeadLetterHeaders"] = _DLQ_HEADERS
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:cascade:events",
        "info": {
            "title": "Cascade events",
            "version": version("cascade-shared"),
            "description": (
                "Every Kafka topic of Cascade: structured-mode CloudEvents 1.0 envelopes "
                "(plus `run_id` and `idempotency_key`), keyed by run id; consumers are "
                "idempotent by `idempotency_key` and dead-letter to `<topic>.dlq`."
            ),
        },
        "defaultContentType": CLOUDEVENTS_CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "parameters": {"prefix": _PREFIX_PARAMETER},
        },
    }


def render() -> str:
    """The document as committed: indented JSON, a newline at the end."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


@cache
def _served() -> bytes:
    # Rendered once per process, on the first request rather than at import.
    return render().encode()


asyncapi_router = APIRouter()


@asyncapi_router.get(ROUTE, tags=["asyncapi"], include_in_schema=False)
async def asyncapi() -> Response:
    return Response(_served(), media_type="application/json")


def _repo_root() -> Path:
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "docs").is_dir() and (folder / "pyproject.toml").is_file():
            return folder
    return here


def main(argv: list[str]) -> int:
    """`cascade asyncapi [--check | --write] [--file PATH]`: print the document, or check or
    rewrite the committed copy (exit 1 when `--check` finds it stale)."""
    parser = argparse.ArgumentParser(prog="cascade asyncapi", description=main.__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail when the file is stale")
    mode.add_argument("--write", action="store_true", help="rewrite the file")
    parser.add_argument("--file", type=Path, help=f"default: <repo>/{DOCUMENT_PATH}")
    args = parser.parse_args(argv)
    path: Path = args.file or _repo_root() / DOCUMENT_PATH
    text = render()
    if args.write:
        path.write_text(text, encoding="utf-8")
        print(f"cascade asyncapi: wrote {path}")
        return 0
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != text:
            print(f"cascade asyncapi: {path} is stale: run `make asyncapi`", file=sys.stderr)
            return 1
        print(f"cascade asyncapi: {path} is up to date")
        return 0
    sys.stdout.write(text)
    return 0
