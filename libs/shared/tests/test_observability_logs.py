"""Unit tests of the log format: one JSON object per line, the run bound on its lines, no
secret in the output. No IO beyond an in-memory stream."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from cascade.shared.observability.logs import (
    REDACTED,
    add_trace_ids,
    bind_run_in_task,
    bind_workflow_type,
    bound_run,
    bound_values,
    configure_logging,
    resolve_format,
    scrub,
)

RUN = uuid.UUID("00000000-0000-4000-8000-000000000014")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The process's logging configured onto a string, put back as it was afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    configure_logging("json", out)
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    structlog.reset_defaults()


def lines(out: io.StringIO) -> list[dict[str, Any]]:
    text = out.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_standard_library_lines_are_json_with_the_run_bound(stream: io.StringIO) -> None:
    log = logging.getLogger("cascade.test")
    log.info("before the run")
    with bound_run(RUN, "new_customer"):
        log.warning("step %s failed", "create_customer")
    log.info("after the run")
    before, during, after = lines(stream)
    assert during["event"] == "step create_customer failed"
    assert (during["run_id"], during["workflow_type"]) == (str(RUN), "new_customer")
    assert (during["level"], during["logger"]) == ("warning", "cascade.test")
    assert during["timestamp"].endswith("Z")
    assert "run_id" not in before
    assert "run_id" not in after
    assert "workflow_type" not in after


def test_structlog_events_share_the_format(stream: io.StringIO) -> None:
    with bound_run(RUN):
        structlog.get_logger("cascade.test").info("pushed", record_type="customer")
    (line,) = lines(stream)
    assert line["event"] == "pushed"
    assert line["record_type"] == "customer"
    assert line["run_id"] == str(RUN)
    assert line["level"] == "info"
    assert "workflow_type" not in line, "an unknown type is left out, not null"


def test_a_traceback_stays_on_one_line(stream: io.StringIO) -> None:
    try:
        raise ValueError("boom\nsecond line")
    except ValueError:
        logging.getLogger("cascade.test").exception("handler failed")
    (line,) = lines(stream)
    assert "ValueError: boom" in line["exception"]
    assert line["level"] == "error"


def test_secrets_never_reach_the_output(stream: io.StringIO) -> None:
    jwt = "eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJzaW0tY2xpZW50In0.c2lnbmF0dXJl"
    log = logging.getLogger("cascade.test")
    log.warning("token endpoint said no to Bearer abc123secret and %s", jwt)
    log.warning('header Authorization: OAuth oauth_signature="c2VjcmV0", realm="x"')
    structlog.get_logger("cascade.test").info("login", password="hunter2", api_key="k-1")
    output = stream.getvalue()
    for secret in ("abc123secret", jwt, "c2VjcmV0", "hunter2", "k-1"):
        assert secret not in output
    first, second, third = lines(stream)
    assert REDACTED in second["event"]
    assert first["event"].startswith(f"token endpoint said no to Bearer {REDACTED}")
    assert (third["password"], third["api_key"]) == (REDACTED, REDACTED)


def test_binding_is_restored_on_exit_and_never_outlives_a_run() -> None:
    bind_workflow_type("leaked")  # outside a run: nothing happens
    assert bound_values().get("workflow_type") is None
    with bound_run(RUN):
        bind_workflow_type("new_customer")
        with bound_run(uuid.uuid4(), "other"):
            assert bound_values()["workflow_type"] == "other"
        assert bound_values()["run_id"] == str(RUN)
        assert bound_values()["workflow_type"] == "new_customer"
    assert bound_values().get("run_id") is None
    assert bound_values().get("workflow_type") is None


async def test_tasks_started_while_handling_a_run_carry_it() -> None:
    async def child() -> object:
        return bound_values().get("run_id")

    with bound_run(RUN, "new_customer"):
        task = asyncio.create_task(child())
    assert await task == str(RUN)


async def test_a_task_of_its_own_binds_its_run_for_its_life_only() -> None:
    both_bound = asyncio.Barrier(2)

    async def job(run_id: uuid.UUID) -> tuple[object, object]:
        bind_run_in_task(run_id)
        bind_workflow_type("new_customer")
        await both_bound.wait()  # each reads its binding after the other has bound its own
        return bound_values().get("run_id"), bound_values().get("workflow_type")

    other = uuid.uuid4()
    results = await asyncio.gather(job(RUN), job(other))
    assert results == [(str(RUN), "new_customer"), (str(other), "new_customer")]
    assert bound_values().get("run_id") is None, "the gathering task is untouched"


def test_trace_ids_come_from_the_active_span_only() -> None:
    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    with_span = add_trace_ids(lambda: (trace_id, span_id))
    without = add_trace_ids(lambda: None)
    assert with_span(None, "info", {"event": "x"}) == {
        "event": "x",
        "trace_id": trace_id,
        "span_id": span_id,
    }
    assert without(None, "info", {"event": "x"}) == {"event": "x"}


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_is_json_unless_the_stream_is_a_terminal() -> None:
    assert resolve_format("auto", io.StringIO()) == "json"
    assert resolve_format("auto", Tty()) == "text"
    assert resolve_format("text", io.StringIO()) == "text"
    assert resolve_format("json", Tty()) == "json"


def test_text_format_is_one_readable_line() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    out = io.StringIO()
    try:
        configure_logging("text", out)
        with bound_run(RUN, "new_customer"):
            logging.getLogger("cascade.test").info("hello")
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        structlog.reset_defaults()
    (line,) = out.getvalue().splitlines()
    assert "hello" in line
    assert f"run_id={RUN}" in line
    assert not line.startswith("{")


def test_scrub_keeps_the_words_around_a_credential() -> None:
    assert scrub("sent Bearer x.y.z to NetSuite") == f"sent Bearer {REDACTED} to NetSuite"
