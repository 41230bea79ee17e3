"""Composition root of the NetSuite simulator: store, account, gate, routes."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from cascade.netsuite_sim import control, governance, records, token
from cascade.netsuite_sim.auth import SimAccount, TbaVerifier
from cascade.netsuite_sim.gate import Gate
from cascade.netsuite_sim.oauth2 import M2MClient, M2MIssuer
from cascade.netsuite_sim.state import SimState
from cascade.netsuite_sim.store import SimStore
from cascade.shared.settings import Settings


def build_state(settings: Settings) -> SimState:
    """The simulator's store and account, as the settings describe them."""
    account = SimAccount.from_settings(settings)
    public_key = settings.netsuite_sim_oauth2_public_key.strip()
    client = (
        M2MClient(
            settings.netsuite_oauth2_client_id.get_secret_value(),
            settings.netsuite_oauth2_certificate_id,
            public_key,
        )
        if public_key
        else None
    )
    return SimState(
        store=SimStore(settings.netsuite_sim_data_dir),
        account=account,
        verifier=TbaVerifier(account),
        concurrency_limit=settings.netsuite_sim_concurrency_limit,
        latency_s=settings.netsuite_sim_latency_ms / 1000,
        m2m=M2MIssuer(client, settings.netsuite_sim_oauth2_token_ttl_s),
    )


def create_app(settings: Settings) -> FastAPI:
    """The simulator app; `/_sim/*` exists only when the test API is enabled."""
    state = build_state(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        state.store.close()

    app = FastAPI(title="NetSuite simulator (SuiteTalk REST subset)", lifespan=lifespan)
    app.state.sim = state
    app.add_middleware(Gate, state=state)
    app.include_router(records.router)
    app.include_router(token.router)
    app.include_router(governance.router)
    if settings.netsuite_sim_enable_test_api:
        app.include_router(control.router)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        return JSONResponse({"service": "netsuite-sim", "status": "ok"})

    return app
