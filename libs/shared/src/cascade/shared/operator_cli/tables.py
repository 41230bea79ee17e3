"""Pure formatting of the approvals API's answers for a terminal: JSON in, text out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tabulate import tabulate

Json = Mapping[str, Any]
#: A cell longer than this is cut (with …) in tables; `show` and `--json` print it whole.
CELL_CHARS = 60
EMPTY = "-"


def cell(value: Any, width: int = CELL_CHARS) -> str:
    """One table cell: on one line, cut to `width`, `-` for nothing."""
    if value is None or value == "":
        return EMPTY
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: Iterable[Json], columns: Sequence[tuple[str, str]]) -> str:
    """`rows` as a plain table of `columns` (header, key); a line saying so when empty."""
    body = [[cell(row.get(key)) for _, key in columns] for row in rows]
    if not body:
        return "(none)"
    return tabulate(body, headers=[header for header, _ in columns], tablefmt="simple")


def fields(pairs: Iterable[tuple[str, Any]]) -> str:
    """`label: value` lines, labels aligned; values whole."""
    listed = [
        (label, EMPTY if value is None or value == "" else str(value)) for label, value in pairs
    ]
    width = max((len(label) for label, _ in listed), default=0)
    return "\n".join(f"{label + ':':<{width + 1}} {value}" for label, value in listed)


def as_json(body: Any) -> str:
    """The API's answer as indented JSON (for `--json`)."""
    return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=False)


RUN_COLUMNS = (
    ("RUN", "run_id"),
    ("TYPE", "workflow_type"),
    ("STATUS", "status"),
    ("REQUESTED", "requested_at"),
    ("COMPLETED", "completed_at"),
    ("ERROR", "error"),
)
PROPOSAL_COLUMNS = (
    ("ID", "id"),
    ("RUN", "run_id"),
    ("ACTION", "action_type"),
    ("ENTITY", "entity_ref"),
    ("STATUS", "status"),
    ("V", "version"),
    ("CREATED", "created_at"),
    ("EXPIRES", "expires_at"),
)
DEAD_LETTER_COLUMNS = (
    ("ID", "id"),
    ("CONSUMER", "consumer"),
    ("TOPIC", "topic"),
    ("KEY", "key"),
    ("TRIES", "attempts"),
    ("DEAD SINCE", "created_at"),
    ("REDRIVEN", "redriven"),
    ("ERROR", "error"),
)
OUTBOX_COLUMNS = (
    ("TOPIC", "topic"),
    ("BACKLOG", "backlog"),
    ("UNSENT", "unsent"),
    ("PARKED", "parked"),
    ("OLDEST (s)", "oldest_unsent_age_s"),
    ("OLDEST AT", "oldest_unsent_at"),
    ("MAX TRIES", "max_attempts"),
)


def runs_text(page: Json) -> str:
    """`cascade runs list`."""
    return table(page.get("items", []), RUN_COLUMNS)


def run_text(run: Json) -> str:
    """`cascade runs show`: the run, its steps, proposals, NetSuite pushes and problems."""
    head = fields(
        [
            ("run", run.get("run_id")),
            ("type", run.get("workflow_type")),
            ("status", run.get("status")),
            ("requested", run.get("requested_at")),
            ("started", run.get("started_at")),
            ("completed", run.get("completed_at")),
            ("source", run.get("source")),
            ("error", run.get("error")),
        ]
    )
    parts = [head]
    steps = (
        ("STEP", "step_id"),
        ("STATUS", "status"),
        ("TRIES", "attempts"),
        ("ERROR", "last_error"),
    )
    parts += ["", "steps:", table(run.get("steps", []), steps)]
    proposals = (("ID", "id"), ("ACTION", "action_type"), ("STATUS", "status"))
    parts += ["", "proposals:", table(run.get("proposals", []), proposals)]
    pushes = (
        ("PUSH", "id"),
        ("RECORD", "record_type"),
        ("EXTERNAL ID", "external_id"),
        ("STATUS", "status"),
        ("TRIES", "attempts"),
        ("ERROR", "last_error"),
    )
    parts += ["", "netsuite pushes:", table(run.get("netsuite_pushes", []), pushes)]
    problems = [p.get("sentence", "") for p in run.get("problems", [])]
    if problems:
        parts += ["", "problems:", *(f"- {p}" for p in problems)]
    return "\n".join(parts)


def retry_text(answer: Json) -> str:
    """`cascade runs retry`."""
    ids = ", ".join(str(i) for i in answer.get("retried_push_ids", []))
    return f"retry requested for push(es) {ids} of run {answer.get('run_id')}"


def proposals_text(page: Json) -> str:
    """`cascade proposals list`."""
    return table(page.get("items", []), PROPOSAL_COLUMNS)


def _redriven(letter: Json) -> str | None:
    if letter.get("redriven_at") is None:
        return None
    return f"{letter['redriven_at']} by {letter.get('redriven_by')}"


def dead_letters_text(page: Json) -> str:
    """`cascade dlq list`."""
    rows = [{**d, "redriven": _redriven(d)} for d in page.get("items", [])]
    return table(rows, DEAD_LETTER_COLUMNS)


def dead_letter_text(letter: Json) -> str:
    """`cascade dlq show`: the dead letter, its record (headers, value) and its redrive."""
    redrive = letter.get("redrive") or {}
    head = fields(
        [
            ("dead letter", letter.get("id")),
            ("consumer", letter.get("consumer")),
            ("topic", letter.get("topic")),
            ("key", letter.get("key")),
            ("record", letter.get("message_ref")),
            ("idempotency key", letter.get("idempotency_key")),
            ("attempts", letter.get("attempts")),
            ("dead since", letter.get("created_at")),
            ("error", letter.get("error")),
            ("redriven", _redriven(letter)),
            ("redrive outbox row", letter.get("redrive_outbox_id")),
            ("redrive sent at", redrive.get("sent_at")),
        ]
    )
    headers = letter.get("headers") or {}
    parts = [head, "", "headers:"]
    parts.append(fields(sorted(headers.items())) if headers else "(none)")
    size = f"{letter.get('payload_bytes')} bytes, sha256 {letter.get('payload_sha256')}"
    if "payload_text" in letter:
        parts += ["", f"value ({size}):", str(letter["payload_text"])]
    else:
        parts += ["", f"value ({size}, base64):", str(letter.get("payload_base64", ""))]
    return "\n".join(parts)


def redrive_text(answer: Json) -> str:
    """`cascade dlq redrive`."""
    return (
        f"dead letter {answer.get('id')} redriven to {answer.get('topic')} "
        f"(key {answer.get('key')}) as outbox row {answer.get('outbox_id')}"
    )


def outbox_text(status: Json) -> str:
    """`cascade outbox status`: totals, then one line per topic with unsent rows."""
    head = fields(
        [
            ("backlog", status.get("backlog")),
            ("unsent", status.get("unsent")),
            ("parked", status.get("parked")),
            ("oldest unsent age (s)", status.get("oldest_unsent_age_s")),
            ("oldest unsent at", status.get("oldest_unsent_at")),
        ]
    )
    topics = status.get("topics", [])
    return head if not topics else head + "\n\n" + table(topics, OUTBOX_COLUMNS)
