"""Composition roots of the MCP gateway: streamable HTTP (a service like the others, with
/healthz and the outbox relay) and stdio (spawned by a desktop client, one agent per process)."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator

from fastapi import FastAPI
from pydantic import SecretStr

from cascade.mcp.gateway import Gateway, GatewayDeps
from cascade.mcp.server import AgentTokenVerifier, auth_settings, build_server, http_agent
from cascade.mcp.tokens import authenticate
from cascade.shared.contract import load_contracts
from cascade.shared.observability.endpoint import metrics_router
from cascade.shared.runtime import ServiceRuntime, health_router
from cascade.shared.settings import Settings

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
EX_NOPERM = 77
"""sysexits' EX_NOPERM: the stdio server was given no valid agent token."""


def _gateway(runtime: ServiceRuntime, settings: Settings) -> Gateway:
    contracts = load_contracts(settings.contracts_dir)  # a broken contract stops the start
    deps = GatewayDeps(
        runtime.session_factory, contracts, settings.topic_prefix, settings.context_timeout_ms
    )
    return Gateway(deps)


def create_app(settings: Settings) -> FastAPI:
    """The gateway over streamable HTTP at `/mcp`: every request carries an agent token
    (`Authorization: Bearer cat_…`), checked by the SDK's bearer middleware."""
    runtime = ServiceRuntime.build("mcp", settings)
    gateway = _gateway(runtime, settings)
    issuer = f"http://{settings.http_host}:{settings.mcp_port}"
    server = build_server(
        gateway, http_agent, AgentTokenVerifier(runtime.session_factory), auth_settings(issuer)
    )
    # Stateless with JSON answers: any replica serves any request, no session to pin.
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        host=settings.http_host,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app), server.session_manager.run():
            yield

    app = FastAPI(title="Cascade MCP gateway", lifespan=lifespan)
    app.state.runtime = runtime
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.mount("/", mcp_app)
    return app


async def run_stdio(settings: Settings, token: SecretStr | None) -> int:
    """Serve one agent over stdin/stdout until the client closes; its token (from the
    environment) is checked once at start. Logs go to stderr, stdout is the protocol's."""
    runtime = ServiceRuntime.build("mcp-stdio", settings)
    try:
        agent = None
        if token is not None:
            agent = await authenticate(runtime.session_factory, token.get_secret_value())
        if agent is None:
            print(
                "cascade-mcp: set CASCADE_MCP_AGENT_TOKEN to a live agent token "
                "(python -m cascade.mcp.tokens_cli mint <name>)",
                file=sys.stderr,
            )
            return EX_NOPERM
        server = build_server(_gateway(runtime, settings), lambda: agent)
        # The relay publishes the runs it stages at once, as the HTTP service's does.
        async with runtime.lifespan(FastAPI()):
            await server.run_stdio_async()
        return 0
    finally:
        await runtime.engine.dispose()
