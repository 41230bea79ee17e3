"""Test-only endpoints under `/_sim/`: script faults, read the request log and the records.

Mounted only when `CASCADE_NETSUITE_SIM_ENABLE_TEST_API=true`; real NetSuite has no such
thing, so nothing under `/services/` depends on them.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request, Response

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
