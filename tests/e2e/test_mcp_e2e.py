"""AI agents over MCP, end to end: the SDK's own client drives the gateway (streamable HTTP
and stdio) against real processes on the real PostgreSQL and Kafka. An agent lists
contracts, dry-runs a start (nothing written), starts a real run (`started_by:
agent:<name>`, audited), reads it, lists pending proposals and suggests an email text; it
cannot approve: no tool does, and every state-changing route of approvals and ns-pusher
refuses its token and changes nothing."""

from __future__ import annotations

import re
import sys
import uuid
from typing import Any

import httpx
import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.approvals.app import create_app as approvals_app
from cascade.approvals.passwords import hash_password
from cascade.approvals.ui_settings import UiSettings
from cascade.devstack.pytest_plugin import StartService, settings_env
from cascade.devstack.waiting import eventually
from cascade.mcp.server import TOOL_SCOPES
from cascade.mcp.tokens import SCOPES, mint, revoke
from cascade.ns_pusher.app import create_app as ns_pusher_app
from cascade.shared.db.models import (
    AgentAudit,
    ApprovalAudit,
    EmailSend,
    EmailSuggestion,
    IntakeRequest,
    NsPendingPush,
    OutboxMessage,
    ProposedAction,
    UiSession,
    WorkflowRun,
    WorkflowRunStep,
)
from cascade.shared.settings import Settings

pytestmark = pytest.mark.e2e

ADMIN = "admin-token-of-mike-0123456789abcdefghijkl"
PASSWORD = "mike's own password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CUSTOMER = {
    "company_name": "Agent Started Ltd",
    "contact_email": "ops@agent-started.example",
    "billing_address": "1 Model Road",
}
WRITTEN = (
    WorkflowRun,
    WorkflowRunStep,
    ProposedAction,
    IntakeRequest,
    OutboxMessage,
    ApprovalAudit,
    EmailSend,
    EmailSuggestion,
    UiSession,
    NsPendingPush,
)
"""Every table an agent's act could reach (the audit trail is counted on its own)."""


async def _counts(factory: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with factory() as session:
        return {
            model.__tablename__: int(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
            for model in (*WRITTEN, AgentAudit)
        }


def _data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def _refusal(result: CallToolResult) -> str:
    assert result.is_error, result.structured_content
    return " ".join(getattr(c, "text", "") for c in result.content)


async def _wait_status(
    factory: async_sessionmaker[AsyncSession], run_id: str, status: str
) -> WorkflowRun:
    async def reached() -> bool:
        async with factory() as session:
            run = await session.get(WorkflowRun, uuid.UUID(run_id))
            return run is not None and run.status == status

    await eventually(reached, within=90)
    async with factory() as session:
        run = await session.get(WorkflowRun, uuid.UUID(run_id))
        assert run is not None
        return run


async def test_an_agent_proposes_through_mcp_and_can_never_decide(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    start_service: StartService,
) -> None:
    token, _ = await mint(session_factory, "claude", SCOPES)
    reader, _ = await mint(session_factory, "reader", ["contracts:read", "runs:read"])
    ui = {
        "CASCADE_ADMIN_PASSWORD_HASH": hash_password(PASSWORD),
        "CASCADE_UI_INSECURE_COOKIES": "1",
    }
    _, approvals, pusher, gateway = start_service.many(
        [
            ("runner", None),
            ("approvals", {"CASCADE_ADMIN_TOKEN": ADMIN, **ui}),
            ("ns_pusher", {"CASCADE_ADMIN_TOKEN": ADMIN}),
            ("mcp", None),
        ]
    )
    url = f"http://127.0.0.1:{gateway.port}/mcp"

    # No token, a wrong one, Mike's admin token: the gateway answers 401 before any tool.
    async with httpx.AsyncClient() as plain:
        for header in ({}, {"Authorization": "Bearer cat_0123456789abcdef_" + "x" * 43},
                       {"Authorization": f"Bearer {ADMIN}"}):  # fmt: skip
            answer = await plain.post(url, json={}, headers=header)
            assert answer.status_code == 401, (header, answer.text)

    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        tools = {tool.name for tool in (await mcp.list_tools()).tools}
        assert tools == set(TOOL_SCOPES), "the tool list is the whole of what an agent can do"
        contracts = {
            c["workflow_type"]: c
            for c in _data(await mcp.call_tool("list_contracts", {}))["contracts"]
        }
        assert {i["name"] for i in contracts["new_customer"]["inputs"]} >= set(CUSTOMER)
        assert contracts["price_changed"]["agent_may_start"] is False

        # Dry run: what Mike's proposal would show, and not one row written.
        before = await _counts(session_factory)
        dry = _data(
            await mcp.call_tool("dry_run", {"workflow_type": "new_customer", "inputs": CUSTOMER})
        )
        after = await _counts(session_factory)
        assert dry["would"] == "stage a proposal for Mike's approval"
        assert dry["preconditions"]
        assert dry["what_changes"]
        assert dry["presentation"]
        assert "context" in dry
        assert {k: after[k] - before[k] for k in after} == {
            **dict.fromkeys(before, 0), "agent_audit": 1,
        }  # fmt: skip

        # A real run: through intake's stage_run, started by the agent, stopped at the gate.
        start = {"workflow_type": "new_customer", "inputs": CUSTOMER, "idempotency_key": "k1"}
        started = _data(await mcp.call_tool("start_run", start))
        assert started["started_by"] == "agent:claude"
        again = _data(await mcp.call_tool("start_run", start))
        assert (again["run_id"], again["replayed"]) == (started["run_id"], True)
        run = await _wait_status(session_factory, started["run_id"], "awaiting_approval")
        assert run.started_by == "agent:claude"
        shown = _data(await mcp.call_tool("read_run", {"run_id": started["run_id"]}))
        assert (shown["started_by"], shown["status"]) == ("agent:claude", "awaiting_approval")
        (gate,) = shown["proposals"]

        # A risk-1 digest drafts an email: the agent suggests a text, the draft stays as is.
        digest = _data(
            await mcp.call_tool(
                "start_run", {"workflow_type": "stale_proposals_digest", "inputs": {}}
            )
        )
        await _wait_status(session_factory, digest["run_id"], "completed")
        pending = _data(await mcp.call_tool("list_pending_proposals", {}))["proposals"]
        assert gate["proposal_id"] in {p["proposal_id"] for p in pending}
        (email,) = [p for p in pending if p["run_id"] == digest["run_id"]]
        async with session_factory() as session:
            draft = await session.get(ProposedAction, email["proposal_id"])
            assert draft is not None
            sha_before = draft.payload_sha256
        edit = {"proposal_id": email["proposal_id"], "version": email["version"],
                "subject": "Waiting for you", "body": "Two wait.", "note": "shorter"}  # fmt: skip
        suggested = _data(await mcp.call_tool("propose_email_edit", edit))
        assert suggested["applied"] is False
        stale = _refusal(await mcp.call_tool("propose_email_edit", {**edit, "version": 9}))
        assert "version" in stale
        async with session_factory() as session:
            draft = await session.get(ProposedAction, email["proposal_id"])
            assert draft is not None
            assert (draft.status, draft.version, draft.payload_sha256) == ("pending", 1, sha_before)
            (kept,) = await session.scalars(select(EmailSuggestion))
            assert (kept.agent, kept.subject) == ("agent:claude", "Waiting for you")

        # No tool decides: asking for one is an error; bad input changes nothing.
        for name in ("approve_proposal", "reject_proposal", "execute", "send_email", "retry_push"):
            _refusal(await mcp.call_tool(name, {"proposal_id": gate["proposal_id"]}))
        refused = _refusal(
            await mcp.call_tool("start_run", {"workflow_type": "price_changed", "inputs": {}})
        )
        assert "trigger" in refused

    # Scopes: a read-only agent dry-runs but cannot start; the refusal is audited.
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {reader}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as mcp,
    ):
        await mcp.initialize()
        assert "runs:start" in _refusal(await mcp.call_tool("start_run", start))

    # Every state-changing route of approvals and ns-pusher, enumerated from the apps,
    # with the agent's token as bearer, as cookie and as form password/CSRF: all refused.
    before = await _counts(session_factory)
    params = {
        "proposal_id": gate["proposal_id"],
        "run_id": started["run_id"],
        "push_id": 1,
        "letter_id": 1,  # the operator's dead-letter redrive
        "workflow_type": "new_customer",  # Mike's Execute form
    }
    env_settings = Settings(**{**settings.model_dump(), "admin_token": ADMIN})
    targets = [(approvals, approvals_app(env_settings)), (pusher, ns_pusher_app(env_settings))]
    tried = []
    for process, app in targets:
        base = f"http://127.0.0.1:{process.port}"
        async with httpx.AsyncClient(
            base_url=base, cookies={UiSettings().cookie_name: token}
        ) as client:
            # The app's own route table, as its OpenAPI document lists it (no route of the
            # services is left out of the schema), so a new route cannot be missed.
            for path, operations in app.openapi()["paths"].items():
                for method in {m.upper() for m in operations} - {"GET", "HEAD"}:
                    answer = await client.request(
                        method, path.format(**params),
                        headers={"Authorization": f"Bearer {token}"},
                        data={"csrf_token": token, "password": token, "reason": "agent"},
                    )  # fmt: skip
                    assert answer.status_code in (401, 403, 422, 429), (method, path, answer)
                    tried.append(f"{method} {path}")
    assert {"POST /v1/proposals/{proposal_id}/approve", "POST /proposals/{proposal_id}/approve",
            "POST /proposals/{proposal_id}/edit", "POST /runs/{run_id}/pushes/{push_id}/retry",
            "POST /v1/ns-pushes/{push_id}/retry"} <= set(tried), tried  # fmt: skip
    assert await _counts(session_factory) == before, "a refused decision changed something"

    # The UI's login: the agent's token is not Mike's password. Mike's is, and his page of
    # the email draft shows the agent's suggestion, not applied.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{approvals.port}") as browser:

        async def login(password: str) -> httpx.Response:
            page = await browser.get("/login")
            form = {"csrf_token": CSRF.findall(page.text)[0], "password": password, "next": "/"}
            return await browser.post("/login", data=form)

        assert (await login(token)).status_code == 401
        assert (await login(PASSWORD)).status_code == 303
        shown_page = (await browser.get(f"/proposals/{email['proposal_id']}")).text
    assert "Suggested by agents" in shown_page
    assert "agent:claude" in shown_page
    assert "Waiting for you" in shown_page

    # The audit trail names the agent on every act, the refusals included.
    async with session_factory() as session:
        rows = list(await session.scalars(select(AgentAudit).order_by(AgentAudit.id)))
    assert {(r.agent, r.tool, r.outcome) for r in rows} >= {
        ("agent:claude", "dry_run", "ok"), ("agent:claude", "start_run", "ok"),
        ("agent:claude", "propose_email_edit", "ok"), ("agent:claude", "start_run", "refused"),
        ("agent:reader", "start_run", "refused"),
    }  # fmt: skip
    assert str(run.run_id) in {str(r.run_id) for r in rows if r.tool == "start_run"}


async def test_stdio_serves_one_authenticated_agent(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    token, _ = await mint(session_factory, "desktop", ["contracts:read"])
    env = settings_env(settings)
    server = StdioServerParameters(
        command=sys.executable,
        args=["-m", "cascade.mcp", "--stdio"],
        env={**env, "CASCADE_MCP_AGENT_TOKEN": token},
    )
    async with stdio_client(server) as (read, write), ClientSession(read, write) as mcp:
        await mcp.initialize()
        listed = _data(await mcp.call_tool("list_contracts", {}))
        assert "new_customer" in {c["workflow_type"] for c in listed["contracts"]}
        assert "emails:propose" in _refusal(await mcp.call_tool("propose_email_edit", {
            "proposal_id": 1, "version": 1, "subject": "s", "body": "b"}))  # fmt: skip
    async with session_factory() as session:
        tools = set(
            await session.scalars(
                select(AgentAudit.tool).where(AgentAudit.agent == "agent:desktop")
            )
        )
    assert tools == {"list_contracts", "propose_email_edit"}
    # A revoked token does not start the server.
    assert await revoke(session_factory, "desktop") == 1
    with pytest.raises(Exception):  # noqa: B017, PT011 (the client sees the process exit)
        async with stdio_client(server) as (read, write), ClientSession(read, write) as mcp:
            await mcp.initialize()
