"""`POST /services/rest/auth/oauth2/v1/token`: the client-credentials grant, form-encoded."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from cascade.netsuite_sim.gate import CALL_SCOPE_KEY, Call
from cascade.netsuite_sim.oauth2 import TokenRefusal
from cascade.netsuite_sim.state import SimState
from cascade.shared.netsuite.oauth2 import TOKEN_PATH

router = APIRouter()


@router.post(TOKEN_PATH)
async def token(request: Request) -> JSONResponse:
    """Exchange a client assertion for an access token, or answer why not (RFC 6749 5.2)."""
    state: SimState = request.app.state.sim
    # Form-encoded (RFC 6749 4.4.2); the standard library parses it, no multipart needed.
    fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    host = request.headers.get("host", request.url.netloc)
    # The audience the client must name is this endpoint as it addressed it.
    token_url = f"{request.url.scheme}://{host}{TOKEN_PATH}"
    answer = state.m2m.exchange(fields, token_url)
    # Like NetSuite, never cache a token answer (RFC 6749 5.1).
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if isinstance(answer, TokenRefusal):
        call: Call | None = request.scope.get(CALL_SCOPE_KEY)
        if call is not None:
            call.note = f"token refused: {answer.reason}"
        status = 401 if answer.error == "invalid_client" else 400
        return JSONResponse({"error": answer.error}, status_code=status, headers=headers)
    body = {
        "access_token": answer.access_token,
        "token_type": "bearer",
        "expires_in": answer.expires_in,
    }
    return JSONResponse(body, headers=headers)
