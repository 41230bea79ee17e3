"""The operator routes (`/v1/dlq`, `/v1/outbox`, `/v1/runs/{id}/retry`) on the real service:
Mike's admin token only (never none, never an agent's), a redrive at most once through the
outbox with the record's key, headers and value, audited; and the CLI against them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from cascade.devstack.kafka_inspect import read_all
from cascade.devstack.waiting import eventually
from cascade.mcp.tokens import mint
from cascade.shared.db.models import ApprovalAudit, DeadLetter, NsPendingPush, OutboxMessage
from cascade.shared.envelope import new_envelope
from cascade.shared.operator_cli.commands import dlq_parser, execute, outbox_parser
from cascade.shared.operator_cli.settings import OperatorSettings
from cascade.shared.topics import Topic, topic_name

pytestmark = pytest.mark.integration

RUN = uuid.uuid4()
ROUTES = [
    ("GET", "/v1/dlq"),
    ("GET", "/v1/dlq/{id}"),
    ("POST", "/v1/dlq/{id}/redrive"),
    ("GET", "/v1/outbox"),
    ("POST", f"/v1/runs/{RUN}/retry"),
]


async def _dead_letter(approvals: Any, run_id: uuid.UUID) -> tuple[int, bytes, dict[str, str]]:
    """A `workflow.requested` record as the runner's consumer would have dead-lettered it."""
    envelope = new_envelope(Topic.WORKFLOW_REQUESTED, "test", run_id, {"workflow_type": "x"})
    headers = {"content-type": "application/cloudevents+json", "ce_type": envelope.type}
    topic = topic_name(approvals.settings.topic_prefix, Topic.WORKFLOW_REQUESTED)
    async with approvals.factory() as session, session.begin():
        letter = DeadLetter(
            consumer="runner.workflow_requested", message_ref=f"{topic}:0:{run_id.int % 10**9}",
            topic=topic,
            key=str(run_id), payload=envelope.to_bytes(), headers=headers,
            error="rejected: unknown workflow type 'x'", attempts=1,
        )  # fmt: skip
        session.add(letter)
        await session.flush()
        return letter.id, envelope.to_bytes(), headers


async def test_operator_routes_refuse_no_token_a_wrong_one_and_an_agent_token(
    approvals: Any,
) -> None:
    letter_id, _, _ = await _dead_letter(approvals, uuid.uuid4())
    agent, _ = await mint(approvals.factory, "claude", ["runs:read", "proposals:read"])
    for token in (None, "not-the-admin-token", agent):
        async with approvals.client(token) as client:
            for method, path in ROUTES:
                response = await client.request(method, path.format(id=letter_id))
                assert response.status_code == 401, (token and token[:4], method, path)
                assert response.json()["error"] == "unauthorized"
    async with approvals.factory() as session:
        letter = await session.get(DeadLetter, letter_id)
        outbox = (await session.scalars(select(OutboxMessage))).all()
    assert letter is not None
    assert letter.redriven_at is None
    assert outbox == [], "a refused call staged nothing"


async def test_redrive_republishes_the_record_once_through_the_outbox_audited(
    approvals: Any,
) -> None:
    run_id = uuid.uuid4()
    letter_id, payload, headers = await _dead_letter(approvals, run_id)
    async with approvals.client() as client:
        listed = (await client.get("/v1/dlq")).json()["items"]
        assert [d["id"] for d in listed] == [letter_id]
        shown = (await client.get(f"/v1/dlq/{letter_id}")).json()
        assert shown["headers"] == headers
        assert shown["payload_text"] == payload.decode()
        # Two redrives at the same moment: the compare-and-set lets exactly one through.
        first, second = await asyncio.gather(
            client.post(f"/v1/dlq/{letter_id}/redrive", params={"reason": "contract fixed"}),
            client.post(f"/v1/dlq/{letter_id}/redrive", params={"reason": "contract fixed"}),
        )
        assert sorted([first.status_code, second.status_code]) == [200, 409], first.text
        won, lost = (first, second) if first.status_code == 200 else (second, first)
        assert lost.json()["error"] == "already_redriven"
        assert lost.json()["redriven_by"] == "mike"
        again = await client.post(f"/v1/dlq/{letter_id}/redrive")
        assert again.status_code == 409
        assert (await client.post("/v1/dlq/999999/redrive")).status_code == 404
        assert (await client.get("/v1/dlq")).json()["items"] == []
        redriven = (await client.get("/v1/dlq", params={"state": "redriven"})).json()["items"]
        assert [d["id"] for d in redriven] == [letter_id]
    outbox_id = won.json()["outbox_id"]
    async with approvals.factory() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
        audit = (
            await session.scalars(select(ApprovalAudit).where(ApprovalAudit.run_id == run_id))
        ).all()
    assert [r.id for r in rows] == [outbox_id], "one record staged, whatever the redrives"
    (row,) = rows
    assert (row.topic, row.key, row.payload) == (shown["topic"], str(run_id), payload)
    assert row.headers == {**headers, "x-cascade-redriven-from": str(letter_id)}
    (entry,) = audit
    assert (entry.decision, entry.actor, entry.proposal_id) == ("dlq_redriven", "mike", None)
    assert entry.payload_sha256 == shown["payload_sha256"]
    assert entry.reason is not None
    assert entry.reason.endswith(f"as outbox row {outbox_id}: contract fixed")

    # The service's relay publishes it: same key, same bytes, on the record's own topic.
    async def published() -> list[tuple[bytes | None, bytes]]:
        return await read_all(approvals.settings.kafka_bootstrap, shown["topic"])

    async def arrived() -> bool:
        return len(await published()) == 1

    await eventually(arrived, within=30)
    assert await published() == [(str(run_id).encode(), payload)]
    async with approvals.client() as client:
        detail = (await client.get(f"/v1/dlq/{letter_id}")).json()
    assert detail["redrive"]["outbox_id"] == outbox_id
    assert detail["redrive"]["sent_at"] is not None

    # The CLI: the same routes, the same token rules.
    other_id, _, _ = await _dead_letter(approvals, uuid.uuid4())
    url = f"http://127.0.0.1:{approvals.process.port}"
    admin = OperatorSettings(approvals_url=url, admin_token=SecretStr(approvals.token))
    wrong = OperatorSettings(approvals_url=url, admin_token=SecretStr("not-the-admin-token"))

    def cli(parser: Any, argv: list[str], settings: OperatorSettings) -> int:
        return execute(parser, argv, settings=settings)

    assert await asyncio.to_thread(cli, dlq_parser(), ["list"], admin) == 0
    assert await asyncio.to_thread(cli, outbox_parser(), ["status"], wrong) == 1
    assert await asyncio.to_thread(cli, dlq_parser(), ["redrive", str(other_id)], admin) == 0
    assert await asyncio.to_thread(cli, dlq_parser(), ["redrive", str(other_id)], admin) == 1
    async with approvals.factory() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == 2


async def test_outbox_status_counts_unsent_rows_and_run_retry_asks_for_failed_pushes(
    approvals: Any,
) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    async with approvals.factory() as session, session.begin():
        # Neither is publishable now (one waits for its retry, one is parked): the relay
        # leaves both where they are.
        session.add_all(
            [
                OutboxMessage(
                    topic="t.a", key="k1", payload=b"1", attempts=2, next_attempt_at=later
                ),
                OutboxMessage(topic="t.b", key="k2", payload=b"2", attempts=10, failed_at=later),
            ]
        )
    async with approvals.client() as client:
        status = (await client.get("/v1/outbox")).json()
    assert (status["backlog"], status["unsent"], status["parked"]) == (2, 1, 1)
    assert status["oldest_unsent_age_s"] >= 0
    assert [
        (t["topic"], t["unsent"], t["parked"], t["max_attempts"]) for t in status["topics"]
    ] == [
        ("t.a", 1, 0, 2),
        ("t.b", 0, 1, 10),
    ]

    # A run's retry: refused while no push failed, then one audited request per failed one.
    seeded = await approvals.seed()
    async with approvals.client() as client:
        nothing = await client.post(f"/v1/runs/{seeded.run_id}/retry")
        assert nothing.status_code == 409
        assert nothing.json()["error"] == "retry_refused"
        async with approvals.factory() as session, session.begin():
            push = NsPendingPush(
                run_id=seeded.run_id, record_type="customer", external_id=f"x-{seeded.run_id}",
                payload={}, status="failed", attempts=3, last_error="HTTP 500",
            )  # fmt: skip
            session.add(push)
            await session.flush()
            push_id = push.id
        asked = await client.post(f"/v1/runs/{seeded.run_id}/retry")
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"run_id": str(seeded.run_id), "retried_push_ids": [push_id]}
    async with approvals.factory() as session:
        audit = (
            await session.scalars(
                select(ApprovalAudit.decision).where(ApprovalAudit.run_id == seeded.run_id)
            )
        ).all()
        topics = (
            await session.scalars(select(OutboxMessage.topic).where(OutboxMessage.key != "k1"))
        ).all()
    assert list(audit) == ["ns_push_retry_requested"]
    assert sorted(topics) == sorted(
        ["t.b", topic_name(approvals.settings.topic_prefix, Topic.NS_PUSH_RETRY)]
    )
