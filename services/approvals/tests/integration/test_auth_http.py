"""The single admin's bearer token: refused without it, closed without one, never logged."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration

ENDPOINTS = [
    ("GET", "/v1/proposals", None),
    ("GET", "/v1/proposals/1", None),
    ("POST", "/v1/proposals/1/approve", {"version": 1, "payload_sha256": "a" * 64}),
    ("POST", "/v1/proposals/1/reject", {"version": 1, "payload_sha256": "a" * 64}),
    ("GET", f"/v1/runs/{uuid.uuid4()}", None),
    ("GET", "/v1/runs", None),
]


async def call_all(client: httpx.AsyncClient) -> list[httpx.Response]:
    return [await client.request(m, path, json=body) for m, path, body in ENDPOINTS]


@pytest.mark.parametrize("header", [None, "Bearer not-the-admin-token", "Basic bWlrZTpwdw=="])
async def test_missing_or_wrong_token_is_401_and_writes_nothing(
    approvals: Any, header: str | None
) -> None:
    seeded = await approvals.seed()
    async with approvals.client(None) as client:
        if header is not None:
            client.headers["Authorization"] = header
        responses = await call_all(client)
    for response in responses:
        assert response.status_code == 401, (response.request.url, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["error"] == "unauthorized"
    assert (await approvals.proposal(seeded.proposal_id)).status == "pending"
    assert await approvals.audit(seeded.proposal_id) == []
    assert await approvals.outbox_count() == 0


async def test_unset_token_closes_the_api_with_503(
    start_approvals: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process inherits this environment: a developer's exported token must not leak in.
    monkeypatch.delenv("CASCADE_ADMIN_TOKEN", raising=False)
    process = start_approvals({})
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{process.port}") as client:
        anonymous = await call_all(client)
        client.headers["Authorization"] = "Bearer anything"
        guessing = await call_all(client)
        health = await client.get("/healthz")
    for response in anonymous + guessing:
        assert response.status_code == 503, (response.request.url, response.text)
        assert response.json()["error"] == "auth_not_configured"
        assert "CASCADE_ADMIN_TOKEN" in response.json()["message"]
    assert health.status_code == 200
    assert "no admin token configured" in process.log_path.read_text()


async def test_token_never_appears_in_the_log(approvals: Any) -> None:
    seeded = await approvals.seed()
    wrong = approvals.token + "x"
    async with approvals.client() as client:
        await client.get("/v1/proposals")
        await client.post(f"/v1/proposals/{seeded.proposal_id}/approve", json=seeded.body())
        await client.post(f"/v1/proposals/{seeded.proposal_id}/approve", json=seeded.body())
    async with approvals.client(wrong) as client:
        refused = await client.get("/v1/proposals")
    assert refused.status_code == 401
    log = approvals.process.log_path.read_text()
    assert f"approve proposal {seeded.proposal_id} by mike from 127.0.0.1: 200" in log
    assert f"approve proposal {seeded.proposal_id} by mike from 127.0.0.1: 409" in log
    assert "auth refused" in log
    assert approvals.token not in log
    assert approvals.token[-12:] not in log
