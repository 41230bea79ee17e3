"""The approvals API's edges under hostile clients (issue 10, defects 6 and 13): deep JSON
and NUL filters are 422, a stalled body is cut off with 408; none of them writes anything."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytestmark = pytest.mark.integration


async def test_deep_bodies_and_nul_filters_are_422_and_write_nothing(
    slow_approvals: Any,
) -> None:
    approvals = slow_approvals
    seeded = await approvals.seed()
    deep = b'{"version": 1, "payload_sha256": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    async with approvals.client() as client:
        for action in ("approve", "reject"):
            response = await client.post(
                f"/v1/proposals/{seeded.proposal_id}/{action}",
                content=deep,
                headers={"content-type": "application/json"},
            )
            assert response.status_code == 422, (action, response.text)
            assert response.json()["errors"][0]["field"] == "body"
        filters = [
            ("/v1/runs", {"workflow_type": "a\x00b"}, "workflow_type"),
            ("/v1/runs", {"workflow_type": "a\r\nb"}, "workflow_type"),
            ("/v1/proposals", {"action_type": "a\x00b"}, "action_type"),
        ]
        for path, params, field in filters:
            response = await client.get(path, params=params)
            assert response.status_code == 422, (path, params, response.text)
            assert response.json()["errors"][0]["field"] == field
    assert (await approvals.proposal(seeded.proposal_id)).status == "pending"
    await approvals.assert_nothing_written(seeded.proposal_id)


async def test_a_stalled_body_is_cut_off_with_408(slow_approvals: Any) -> None:
    approvals = slow_approvals
    seeded = await approvals.seed()
    reader, writer = await asyncio.open_connection("127.0.0.1", approvals.process.port)
    writer.write(
        f"POST /v1/proposals/{seeded.proposal_id}/approve HTTP/1.1\r\nHost: test\r\n"
        f"Authorization: Bearer {approvals.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 1000\r\n\r\n".encode()
        + b'{"version": 1, '
    )
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=60)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert b"body_timeout" in answer
    await approvals.assert_nothing_written(seeded.proposal_id)
