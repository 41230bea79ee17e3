"""Logs of every process: one event per line (JSON for collectors, text for a terminal), with
the run being handled bound on every line.

The standard library's records (uvicorn, aiokafka, SQLAlchemy, our own `logging` calls) and
structlog's events go through the same `ProcessorFormatter`, so a line looks the same
whoever wrote it. What a run's handler logs carries `run_id`, `workflow_type` and, when an
OpenTelemetry span is active, `trace_id`/`span_id`: `bound_run` binds them in contextvars,
which asyncio copies into the tasks a handler starts.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import re
import sys
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from cascade.shared.log_limits import install_repeat_filter

LogFormat = Literal["auto", "json", "text"]
"""`auto`: JSON when stderr is not a terminal (a file, a pipe, a container), text when it is."""

RUN_KEYS = ("run_id", "workflow_type")

#: Keys whose values never reach a log line, whoever passed them.
_SECRET_KEY = re.compile(r"(?i)(secret|token|password|passwd|authorization|api_?key|cookie)")
#: Credentials that may sit inside a message: a bearer token, an OAuth 1.0a signature header,
#: a JWT. Replaced, not dropped, so the line still tells what happened.
_SECRET_TEXT = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"
    r"|(oauth_(?:signature|token)=\")[^\"]*"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
)
REDACTED = "[redacted]"


def resolve_format(wanted: LogFormat, stream: TextIO) -> Literal["json", "text"]:
    """The format `auto` stands for on this stream."""
    if wanted != "auto":
        return wanted
    isatty = getattr(stream, "isatty", None)
    return "text" if callable(isatty) and isatty() else "json"


def _span_context() -> Callable[[], tuple[str, str] | None]:
    # OpenTelemetry is optional: without it (or without an active span) no ids are added.
    try:
        trace: Any = importlib.import_module("opentelemetry.trace")
    except ImportError:
        return lambda: None

    def current() -> tuple[str, str] | None:
        context = trace.get_current_span().get_span_context()
        if not context.is_valid:
            return None
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    return current


def add_trace_ids(
    current: Callable[[], tuple[str, str] | None],
) -> Processor:
    """A processor adding the active span's `trace_id` and `span_id`, if there is one."""

    def processor(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        ids = current()
        if ids is not None:
            event.setdefault("trace_id", ids[0])
            event.setdefault("span_id", ids[1])
        return event

    return processor


def redact_secrets(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """Secret-named values and credentials inside the message never reach the output."""
    for key, value in event.items():
        if key != "event" and value is not None and _SECRET_KEY.search(key):
            event[key] = REDACTED
    message = event.get("event")
    if isinstance(message, str):
        event["event"] = scrub(message)
    exc = event.get("exception")
    if isinstance(exc, str):
        event["exception"] = scrub(exc)
    return event


def scrub(text: str) -> str:
    """`text` with bearer tokens, OAuth signatures and JWTs replaced."""
    return _SECRET_TEXT.sub(lambda m: (m.group(1) or m.group(2) or "") + REDACTED, text)


def drop_unset_run_keys(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """A run key bound as None (not known yet) is left out rather than printed as null."""
    for key in RUN_KEYS:
        if key in event and event[key] is None:
            del event[key]
    return event


def _shared_processors(current: Callable[[], tuple[str, str] | None]) -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        drop_unset_run_keys,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        add_trace_ids(current),
    ]


def build_formatter(fmt: Literal["json", "text"]) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler: standard-library records and structlog events alike."""
    current = _span_context()
    renderer: Processor
    tail: list[Processor]
    if fmt == "json":
        # Tracebacks become one string field: a line stays one event.
        tail = [structlog.processors.format_exc_info, redact_secrets]
        renderer = structlog.processors.JSONRenderer(default=str)
    else:
        tail = [redact_secrets]
        renderer = structlog.dev.ConsoleRenderer(colors=False)
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(current),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            renderer,
        ],
    )


def configure_logging(wanted: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """One handler on the root logger for the whole process (uvicorn's loggers propagate to
    it), the repeat limit on it, and structlog routed through the same formatter."""
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    handler.setFormatter(build_formatter(resolve_format(wanted, out)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # Python's warnings too, so nothing but formatted events reaches the stream.
    logging.captureWarnings(True)
    install_repeat_filter()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(_span_context()),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


@contextlib.contextmanager
def bound_run(run_id: uuid.UUID | str | None, workflow_type: str | None = None) -> Iterator[None]:
    """Every line logged inside (in this task and the tasks it starts) names the run; both
    keys are restored on exit, so a consumer handling many records never leaks one run's id
    into the next. `bind_workflow_type` fills the type in once it is known."""
    with structlog.contextvars.bound_contextvars(
        run_id=None if run_id is None else str(run_id), workflow_type=workflow_type
    ):
        yield


def bind_run_in_task(run_id: uuid.UUID | str | None) -> None:
    """Name the run on the rest of the current task's lines (the type via
    `bind_workflow_type`). Only for a task of its own per run or job (a gathered step round,
    a leased job's work): its context is a copy that ends with it, so nothing outlives the
    run. Anywhere else use `bound_run`."""
    if run_id is not None:
        structlog.contextvars.bind_contextvars(run_id=str(run_id), workflow_type=None)


def bind_workflow_type(workflow_type: str) -> None:
    """Name the run's workflow type on the lines that follow, inside the current `bound_run`
    (which restores it on exit); outside one it does nothing, so it never outlives a run."""
    if structlog.contextvars.get_contextvars().get("run_id") is not None:
        structlog.contextvars.bind_contextvars(workflow_type=workflow_type)


def bound_values() -> MutableMapping[str, Any]:
    """What is bound right now (for tests and error reports)."""
    return structlog.contextvars.get_contextvars()
