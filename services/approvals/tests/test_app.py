"""Unit tests of the app's wiring that refuse before any IO: auth, headers, error shape.

The lifespan (broker, relay) is not entered and no request reaches the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from cascade.approvals.app import create_app
from cascade.approvals.headers import SECURITY_HEADERS
from cascade.shared.settings import Settings

TOKEN = "unit-admin-token"


def in_process(app: FastAPI) -> httpx.AsyncClient:
    """A client that calls the ASGI app directly; the lifespan is never entered."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://approvals")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # Nothing listens on port 1: a request that reached the database would fail loudly.
    settings = Settings(
        admin_token=SecretStr(TOKEN),
        database_url="postgresql+asyncpg://nobody:x@127.0.0.1:1/none",
        kafka_bootstrap="127.0.0.1:1",
    )
    async with in_process(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/proposals"),
        ("GET", "/v1/proposals/1"),
        ("POST", "/v1/proposals/1/approve"),
        ("POST", "/v1/proposals/1/reject"),
        ("GET", "/v1/runs"),
        ("GET", "/v1/runs/00000000-0000-0000-0000-000000000000"),
    ],
)
async def test_every_api_route_needs_the_token(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, headers={"Authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")
    assert response.json()["error"] == "unauthorized"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_auth_comes_before_body_validation(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/proposals/1/approve", content=b"not json")
    assert response.status_code == 401


async def test_bad_parameters_are_422_naming_the_field(client: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = await client.get("/v1/proposals", params={"limit": 0}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"
    bad_body = await client.post("/v1/proposals/1/approve", content=b"{", headers=auth)
    assert bad_body.status_code == 422
    assert bad_body.json()["errors"][0]["field"] == "body"


async def test_huge_body_is_413_before_parsing(client: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = await client.post("/v1/proposals/1/reject", content=b"x" * 20_000, headers=auth)
    assert response.status_code == 413
    assert response.json()["error"] == "body_too_large"


async def test_without_a_token_the_api_is_closed() -> None:
    async with in_process(create_app(Settings(admin_token=None))) as client:
        response = await client.get("/v1/runs", headers={"Authorization": "Bearer x"})
    assert response.status_code == 503
    assert response.json()["error"] == "auth_not_configured"


async def test_unknown_paths_and_methods_answer_in_the_error_shape(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/nothing")
    wrong_method = await client.delete("/v1/proposals/1")
    assert (missing.status_code, missing.json()["error"]) == (404, "http_404")
    assert (wrong_method.status_code, wrong_method.json()["error"]) == (405, "http_405")
    assert "GET" in wrong_method.headers["allow"]
    assert missing.headers["x-frame-options"] == "DENY"


async def test_a_database_outage_is_503_with_retry_after_and_headers() -> None:
    # The database is unreachable (port 1 refuses at once): the route fails after auth.
    settings = Settings(
        admin_token=SecretStr(TOKEN), database_url="postgresql+asyncpg://n:x@127.0.0.1:1/none"
    )
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://approvals") as client:
        response = await client.get("/v1/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(settings.http_retry_after_s)
    assert response.json()["error"] == "database_unavailable"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


async def test_a_failure_is_500_without_details_and_with_headers() -> None:
    app = create_app(Settings(admin_token=SecretStr(TOKEN)))

    async def broken() -> None:
        raise RuntimeError("a bug with a secret detail")

    async def missing_file() -> None:
        # An OSError that is no database outage stays a 500 (the outage handler re-raises).
        raise FileNotFoundError(2, "No such file", "/secret/path")

    app.add_api_route("/v1/broken", broken)
    app.add_api_route("/v1/missing", missing_file)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://approvals") as client:
        response = await client.get("/v1/broken")
        missing = await client.get("/v1/missing")
    assert (missing.status_code, missing.json()["error"]) == (500, "internal_error")
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "internal error; see the service log",
    }
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
