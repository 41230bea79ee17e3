"""The peers' thin HTTP front, as a team would put one before a sales form and an approver.

POST /runs starts a run (422 on bad inputs, as Cascade's intake answers), GET
/runs/{id}/staged long-polls until the proposal is staged, POST /runs/{id}/approve hands
the approver's decision to the run, GET /runs/{id}/result long-polls until it ended. Each
peer plugs its engine in (`Engine`); the front itself does nothing else. Peers' venv.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import ValidationError

from bench.peers import new_customer as nc


class Engine(Protocol):
    async def start(self, run_id: str, values: dict[str, Any]) -> None: ...
    async def staged(self, run_id: str) -> dict[str, Any]: ...
    async def approve(self, run_id: str, decision: dict[str, Any]) -> None: ...
    async def result(self, run_id: str) -> dict[str, Any]: ...


def build_app(service: str, engine: Engine, **fastapi_kw: Any) -> FastAPI:
    app = FastAPI(title=service, **fastapi_kw)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"service": service}

    @app.post("/runs", status_code=201)
    async def start(inputs: dict[str, Any]) -> dict[str, str]:
        run_id = str(uuid.uuid4())
        try:
            values = nc.derive(inputs, run_id)
        except ValidationError as exc:
            raise HTTPException(422, exc.errors(include_url=False)) from None
        await engine.start(run_id, values)
        return {"run_id": run_id}

    @app.get("/runs/{run_id}/staged")
    async def staged(run_id: str) -> dict[str, Any]:
        return await engine.staged(run_id)

    @app.post("/runs/{run_id}/approve", status_code=202)
    async def approve(run_id: str, decision: dict[str, Any]) -> dict[str, str]:
        await engine.approve(run_id, decision)
        return {"run_id": run_id}

    @app.get("/runs/{run_id}/result")
    async def result(run_id: str) -> dict[str, Any]:
        return await engine.result(run_id)

    return app


def server_config(app: FastAPI, port: int) -> uvicorn.Config:
    """uvicorn on loopback, quiet. Keep-alive outlasts the client's (httpx drops an idle
    connection after 5 s): with equal timeouts the server may close a connection the
    client is just reusing, and the request fails with a ReadError."""
    return uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        timeout_keep_alive=75, backlog=2048,
    )  # fmt: skip
