"""The MCP tools, on the official SDK's `MCPServer`: each checks the agent's scope, runs
the gateway's act, and leaves an audit row, whether it was allowed, refused or failed.

The tool list is the whole of what an agent can do. There is deliberately no approve,
reject, execute, send or retry tool, and no parameter that reaches one."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.mcp.gateway import Gateway, Refused
from cascade.mcp.tokens import Agent, authenticate
from cascade.shared.db.statuses import AgentOutcome

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Cascade runs risky business workflows as contracts. You may list contracts, dry-run a "
    "start (see what Mike's proposal would show, nothing is written), start a run, read runs, "
    "list pending proposals and suggest a new text for a pending email draft. Every run you "
    "start stops at Mike's approval gate: no tool approves, rejects, sends or executes."
)

TOOL_SCOPES = {
    "list_contracts": "contracts:read",
    "dry_run": "runs:read",
    "start_run": "runs:start",
    "read_run": "runs:read",
    "list_pending_proposals": "proposals:read",
    "propose_email_edit": "emails:propose",
}
"""Each tool and the one scope it needs (a test checks the server lists exactly these)."""

AgentOf = Callable[[], Agent]


class AgentTokenVerifier:
    """The SDK's `TokenVerifier` for agent tokens: the bearer middleware calls it on every
    HTTP request, and the agent rides in the access token's claims to the tools."""

    def __init__(self, factory: async_sessionmaker[AsyncSession]) -> None:
        self._factory = factory

    async def verify_token(self, token: str) -> AccessToken | None:
        agent = await authenticate(self._factory, token)
        if agent is None:
            return None
        return AccessToken(
            token=agent.key_id,  # not the secret: nothing downstream needs it
            client_id=f"agent:{agent.name}",
            scopes=sorted(agent.scopes),
            claims={"agent": agent.name, "key_id": agent.key_id},
        )


def http_agent() -> Agent:
    """The agent of the current HTTP request (set by the SDK's auth middleware)."""
    access = get_access_token()
    if access is None or access.claims is None:
        # The SDK's RequireAuthMiddleware answers 401 before any tool runs; this is the belt.
        raise ToolError("not authenticated")
    return Agent(str(access.claims["agent"]), frozenset(access.scopes), access.token)


def auth_settings(issuer_url: str) -> AuthSettings:
    """Bearer tokens only: this server is its own issuer (tokens are minted by the CLI)."""
    return AuthSettings(issuer_url=issuer_url, resource_server_url=None)


def build_server(
    gateway: Gateway,
    agent_of: AgentOf,
    token_verifier: AgentTokenVerifier | None = None,
    auth: AuthSettings | None = None,
) -> MCPServer[Any]:
    """The MCP server with Cascade's tools; `agent_of` names the caller of each call."""
    server: MCPServer[Any] = MCPServer(
        "cascade", instructions=INSTRUCTIONS, token_verifier=token_verifier, auth=auth
    )

    async def act(
        tool: str, arguments: Mapping[str, Any], call: Callable[[Agent], Awaitable[Any]]
    ) -> Any:
        agent = agent_of()
        if TOOL_SCOPES[tool] not in agent.scopes:
            detail = f"this token lacks the {TOOL_SCOPES[tool]} scope"
            await gateway.audit(agent, tool, arguments, AgentOutcome.REFUSED, detail)
            raise ToolError(detail)
        try:
            result = await call(agent)
        except Refused as refused:
            await gateway.audit(agent, tool, arguments, AgentOutcome.REFUSED, str(refused))
            raise ToolError(str(refused)) from None
        if tool not in ("start_run", "propose_email_edit"):  # those audit in their own commit
            await gateway.audit(agent, tool, arguments, AgentOutcome.OK)
        return result

    @server.tool()
    async def list_contracts() -> dict[str, Any]:
        """The workflow contracts: type, title, risk, trigger, whether an agent may start it,
        and its inputs (name, type, required, constraints, hint)."""

        async def call(_: Agent) -> dict[str, Any]:
            return {"contracts": gateway.list_contracts()}

        result: dict[str, Any] = await act("list_contracts", {}, call)
        return result

    @server.tool()
    async def dry_run(workflow_type: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """What starting this run would show Mike: the context it reads, each precondition's
        outcome, what changes in which system, and the proposal's presentation. Read-only:
        no run, proposal or event is created. Call this before start_run."""
        args = {"workflow_type": workflow_type, "inputs": inputs}

        async def call(_: Agent) -> dict[str, Any]:
            return await gateway.dry_run(workflow_type, inputs)

        result: dict[str, Any] = await act("dry_run", args, call)
        return result

    @server.tool()
    async def start_run(
        workflow_type: str, inputs: dict[str, Any], idempotency_key: str | None = None
    ) -> dict[str, Any]:
        """Start a run (recorded as started by this agent). It stops at Mike's approval gate;
        the same idempotency_key again returns the same run."""
        args = {"workflow_type": workflow_type, "inputs": inputs, "key": idempotency_key}

        async def call(agent: Agent) -> dict[str, Any]:
            return await gateway.start_run(agent, workflow_type, inputs, idempotency_key)

        result: dict[str, Any] = await act("start_run", args, call)
        return result

    @server.tool()
    async def read_run(run_id: str) -> dict[str, Any]:
        """A run: status, who started it, its steps and its proposals."""

        async def call(_: Agent) -> dict[str, Any]:
            return await gateway.read_run(run_id)

        result: dict[str, Any] = await act("read_run", {"run_id": run_id}, call)
        return result

    @server.tool()
    async def list_pending_proposals(limit: int = 20) -> dict[str, Any]:
        """Proposals waiting for Mike, oldest first (email drafts with their text)."""

        async def call(_: Agent) -> dict[str, Any]:
            return {"proposals": await gateway.pending_proposals(limit)}

        result: dict[str, Any] = await act("list_pending_proposals", {"limit": limit}, call)
        return result

    @server.tool()
    async def propose_email_edit(
        proposal_id: int, version: int, subject: str, body: str, note: str | None = None
    ) -> dict[str, Any]:
        """Suggest a new subject and body for a pending email draft (at the version you
        read). Stored as a suggestion Mike sees on the proposal page; never applied or sent
        without him."""
        args = {"proposal_id": proposal_id, "version": version, "subject": subject}

        async def call(agent: Agent) -> dict[str, Any]:
            return await gateway.propose_email_edit(
                agent, proposal_id, version, subject, body, note
            )

        result: dict[str, Any] = await act("propose_email_edit", args, call)
        return result

    return server
