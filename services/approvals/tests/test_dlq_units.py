"""Pure parts of the operator routes: which run a dead letter belongs to, the headers its
redrive carries, its idempotency key, its JSON, the outbox totals and the run's history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cascade.approvals.dlq_redrive import (
    DLQ_REDRIVEN,
    REDRIVEN_FROM_HEADER,
    record_run_id,
    redrive_headers,
)
from cascade.approvals.dlq_views import dead_letter_detail, idempotency_key
from cascade.approvals.outbox_status import TopicBacklog, outbox_view
from cascade.approvals.queries import RunBundle
from cascade.approvals.timeline import run_timeline
from cascade.shared.db.models import ApprovalAudit, DeadLetter, WorkflowRun
from cascade.shared.envelope import new_envelope
from cascade.shared.topics import Topic

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
RUN = uuid.UUID("00000000-0000-0000-0000-0000000000bb")


def letter(key: str | None, payload: bytes, headers: dict[str, str] | None = None) -> DeadLetter:
    return DeadLetter(
        id=5, consumer="c", message_ref="t:0:1", topic="t", key=key, payload=payload,
        headers=headers or {}, error="boom", attempts=1, created_at=T0,
    )  # fmt: skip


def test_the_run_of_a_dead_letter_is_its_key_or_its_envelope_or_none() -> None:
    envelope = new_envelope(Topic.WORKFLOW_REQUESTED, "test", RUN, {})
    assert record_run_id(letter(str(RUN), b"garbage")) == RUN
    assert record_run_id(letter("ITEM-1", envelope.to_bytes())) == RUN
    assert record_run_id(letter("ITEM-1", b'{"item_id": "ITEM-1"}')) is None
    assert record_run_id(letter(None, b"\xff")) is None


def test_a_redrive_keeps_the_record_headers_and_says_where_it_came_from() -> None:
    own = {"ce_id": "evt-1", "content-type": "application/json"}
    assert redrive_headers(letter("k", b"{}", own)) == {**own, REDRIVEN_FROM_HEADER: "5"}


def test_the_idempotency_key_is_the_envelope_s_or_the_cloudevent_id() -> None:
    envelope = new_envelope(Topic.WORKFLOW_REQUESTED, "test", RUN, {}, key_suffix="x")
    assert idempotency_key(letter(str(RUN), envelope.to_bytes())) == envelope.idempotency_key
    assert idempotency_key(letter("k", b'{"a": 1}', {"ce_id": "evt-9"})) == "evt-9"
    assert idempotency_key(letter("k", b"{not json")) is None


def test_binary_values_are_shown_as_base64() -> None:
    shown = dead_letter_detail(letter("k", b"\xff\x00"), None)
    assert shown["payload_base64"] == "/wA="
    assert "payload_text" not in shown
    assert shown["payload_bytes"] == 2
    assert shown["redrive"] is None


def test_outbox_totals_count_parked_rows_in_the_backlog_and_take_the_oldest() -> None:
    backlog = [
        TopicBacklog("a", unsent=3, parked=0, oldest_at=T0, oldest_age_s=12.34567, max_attempts=0),
        TopicBacklog("b", unsent=0, parked=2, oldest_at=T0 - timedelta(minutes=1),
                     oldest_age_s=72.0, max_attempts=10),
    ]  # fmt: skip
    view = outbox_view(backlog)
    assert (view["backlog"], view["unsent"], view["parked"]) == (5, 3, 2)
    assert view["oldest_unsent_age_s"] == 72.0
    assert [t["backlog"] for t in view["topics"]] == [3, 2]
    empty = outbox_view([])
    assert (empty["backlog"], empty["oldest_unsent_age_s"], empty["topics"]) == (0, None, [])


def test_the_run_history_tells_a_redrive_apart_from_a_start() -> None:
    run = WorkflowRun(
        run_id=RUN, workflow_type="price_changed", status="completed", inputs={},
        requested_at=T0, started_at=T0, completed_at=T0 + timedelta(minutes=2),
    )  # fmt: skip
    audit = [
        ApprovalAudit(id=1, proposal_id=None, run_id=RUN, decision=DLQ_REDRIVEN, actor="mike",
                      version=1, payload_sha256="h", reason="dead letter 5 re-published",
                      created_at=T0 + timedelta(minutes=1)),
    ]  # fmt: skip
    bundle = RunBundle(
        run=run, steps=[], proposals=[], events=[], pushes=[], verify_results=[],
        run_log=None, reflexion=None, audit=audit,
    )  # fmt: skip
    (entry,) = [e for e in run_timeline(bundle) if "redriven" in e.title]
    assert entry.title == "Dead letter redriven by mike"
    assert entry.detail == "dead letter 5 re-published"
    assert not any("Execute form" in e.title for e in run_timeline(bundle))
