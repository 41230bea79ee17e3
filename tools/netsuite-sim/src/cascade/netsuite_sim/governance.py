"""`GET /services/rest/system/v1/governanceLimits`: the concurrency limit an integration may use.

NetSuite answers it to administrators only; the fields follow Oracle's description of the
operation: the account's limit, the part not allocated to any integration, and the limit
type. The simulator allocates nothing to single integrations: every caller shares the whole
account limit, as on an account without per-integration limits.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from cascade.netsuite_sim.errors import invalid_login
from cascade.netsuite_sim.gate import CALL_SCOPE_KEY, Call
from cascade.netsuite_sim.records import authenticate, request_uri
from cascade.netsuite_sim.state import SimState

GOVERNANCE_PATH = "/services/rest/system/v1/governanceLimits"

router = APIRouter()


@router.get(GOVERNANCE_PATH)
async def governance_limits(request: Request) -> Response:
    """The account's concurrency limit, as the authenticated integration may use it."""
    state: SimState = request.app.state.sim
    result = authenticate(state, request_uri(request), request.method, request.headers)
    if not result.ok:
        call: Call | None = request.scope.get(CALL_SCOPE_KEY)
        if call is not None:
            call.note = f"login failed: {result.reason}"
        return invalid_login()
    limit = state.concurrency_limit
    return JSONResponse(
        {
            "accountConcurrencyLimit": limit,
            "unallocatedConcurrencyLimit": limit,
            "limitType": "accountUnallocated",
        }
    )
