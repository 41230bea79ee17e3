"""Test-only endpoints under `/_sim/`: script faults, read the request log, the records and
the concurrency counters.

Mounted only when `CASCADE_NETSUITE_SIM_ENABLE_TEST_API=true`; real NetSuite has no such
thing, so nothing under `/services/` depends on them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from cascade.netsuite_sim.faults import FaultSpec
from cascade.netsuite_sim.records import render
from cascade.netsuite_sim.state import SimState

router = APIRouter(prefix="/_sim", tags=["test api"])


def _sim(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


@router.post("/faults", status_code=201)
async def add_fault(spec: FaultSpec, request: Request) -> dict[str, Any]:
    """Script a fault for the next record calls; faults are used in the order added."""
    faults = _sim(request).faults
    faults.add(spec)
    return {"pending": faults.pending()}


@router.get("/faults")
async def pending_faults(request: Request) -> dict[str, Any]:
    """The faults still waiting to be used."""
    return {"pending": _sim(request).faults.pending()}


@router.delete("/faults", status_code=204)
async def clear_faults(request: Request) -> Response:
    """Drop every waiting fault."""
    _sim(request).faults.clear()
    return Response(status_code=204)


@router.get("/requests")
async def request_log(request: Request) -> dict[str, Any]:
    """Every record-API call so far: arrival time (epoch seconds), path, answer, fault."""
    return {"requests": [asdict(entry) for entry in _sim(request).store.requests()]}


@router.get("/records/{record_type}")
async def stored_records(record_type: str, request: Request) -> dict[str, Any]:
    """Every stored record of a type, as the record API would render it."""
    records = _sim(request).store.records(record_type)
    return {"items": [render(request, record) for record in records]}


@router.post("/oauth2/expire")
async def expire_tokens(request: Request) -> dict[str, Any]:
    """Expire every OAuth 2.0 access token handed out, as an hour's wait would."""
    return {"expired": _sim(request).m2m.expire_all()}


class ConcurrencyChange(BaseModel):
    """New values for the account's concurrency limit and the simulated latency."""

    model_config = ConfigDict(extra="forbid")

    limit: int | None = Field(default=None, ge=1)
    latency_ms: int | None = Field(default=None, ge=0)


def _concurrency(state: SimState) -> dict[str, Any]:
    return {
        "limit": state.concurrency_limit,
        "latency_ms": round(state.latency_s * 1000),
        "in_flight": state.in_flight,
        "peak_in_flight": state.peak_in_flight,
        "refused_by_limit": state.refused_by_limit,
    }


@router.get("/concurrency")
async def concurrency(request: Request) -> dict[str, Any]:
    """The limit, the latency, the calls in flight, the peak since the last reset and how
    many calls the limit refused (429) since then."""
    return _concurrency(_sim(request))


@router.patch("/concurrency")
async def change_concurrency(change: ConcurrencyChange, request: Request) -> dict[str, Any]:
    """Change the account's concurrency limit or the latency of every call."""
    state = _sim(request)
    if change.limit is not None:
        state.concurrency_limit = change.limit
    if change.latency_ms is not None:
        state.latency_s = change.latency_ms / 1000
    return _concurrency(state)


@router.post("/concurrency/reset")
async def reset_concurrency(request: Request) -> dict[str, Any]:
    """Start counting the peak and the refusals anew."""
    state = _sim(request)
    state.reset_concurrency()
    return _concurrency(state)
