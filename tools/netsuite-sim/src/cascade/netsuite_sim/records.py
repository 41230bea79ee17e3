"""The subset of SuiteTalk REST record service we use: upsert by external id, read back.

`PUT .../record/v1/customer/eid:<id>` creates or updates and answers 204 with the record's
URL in `Location`; `GET .../customer/<internal id>` and `.../customer/eid:<id>` answer the
record with `id` and `lastModifiedDate`. Every call is authenticated first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from cascade.netsuite_sim.auth import AuthResult
from cascade.netsuite_sim.errors import error_response, invalid_login
from cascade.netsuite_sim.gate import CALL_SCOPE_KEY, Call
from cascade.netsuite_sim.state import SimState
from cascade.netsuite_sim.store import StoredRecord
from cascade.netsuite_sim.validation import upsert_problem

RECORD_PATH = "/services/rest/record/v1"
SUPPORTED_TYPES = frozenset({"customer"})
SINGULAR = "application/vnd.oracle.resource+json; type=singular"

router = APIRouter(prefix=RECORD_PATH)


def _sim(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"


def request_uri(request: Request) -> str:
    # The URI exactly as the client addressed it: the signature covers the raw path.
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string", b"").decode("latin-1")
    return _origin(request) + raw_path.decode("latin-1") + (f"?{query}" if query else "")


def authenticate(state: SimState, uri: str, method: str, headers: Mapping[str, str]) -> AuthResult:
    """A REST call's credentials: an OAuth 2.0 bearer token, or a TBA signature."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        return state.m2m.verify_bearer(token.strip())
    return state.verifier.verify(uri, method, headers)


def _refusal(request: Request, record_type: str) -> Response | None:
    """The answer when the call is not authenticated or names no known record type."""
    result = authenticate(_sim(request), request_uri(request), request.method, request.headers)
    if not result.ok:
        call: Call | None = request.scope.get(CALL_SCOPE_KEY)
        if call is not None:
            call.note = f"login failed: {result.reason}"
        return invalid_login()
    if record_type not in SUPPORTED_TYPES:
        detail = f"Record type '{record_type}' does not exist."
        return error_response(404, "INVALID_RCRD_TYPE", detail)
    return None


def _href(request: Request, record: StoredRecord) -> str:
    return f"{_origin(request)}{RECORD_PATH}/{record.record_type}/{record.internal_id}"


def render(request: Request, record: StoredRecord) -> dict[str, Any]:
    """A record instance as NetSuite returns it (the fields we keep, plus its identity)."""
    return {
        "links": [{"rel": "self", "href": _href(request, record)}],
        **record.fields,
        "id": str(record.internal_id),
        "externalId": record.external_id,
        "dateCreated": record.date_created,
        "lastModifiedDate": record.last_modified,
    }


def _parse_body(raw: bytes) -> tuple[Any, Response | None]:
    try:
        return json.loads(raw), None
    except (ValueError, UnicodeDecodeError):
        detail = "Invalid content in the request body: the body is not valid JSON."
        return None, error_response(400, "INVALID_CONTENT", detail)


@router.put("/{record_type}/{ref}")
async def upsert(record_type: str, ref: str, request: Request) -> Response:
    """Upsert by external id: create the record, or update the one with this external id."""
    refused = _refusal(request, record_type)
    if refused is not None:
        return refused
    if not ref.startswith("eid:") or len(ref) == len("eid:"):
        detail = "The upsert operation requires an external ID in the URL (eid:<id>)."
        return error_response(400, "INVALID_URL_PARAM", detail)
    body, bad = _parse_body(await request.body())
    if bad is not None:
        return bad
    store = _sim(request).store
    existing = store.get(record_type, ref)
    problem = upsert_problem(record_type, ref[4:], body, existing.fields if existing else None)
    if problem is not None:
        return error_response(400, problem.code, problem.detail, problem.path)
    fields = {key: value for key, value in body.items() if key.lower() != "externalid"}
    record, _ = store.upsert(record_type, ref[4:], fields, datetime.now(UTC))
    return Response(status_code=204, headers={"Location": _href(request, record)})


@router.get("/{record_type}/{ref}")
async def read(record_type: str, ref: str, request: Request) -> Response:
    """One record instance, by internal id or by `eid:<external id>`."""
    refused = _refusal(request, record_type)
    if refused is not None:
        return refused
    record = _sim(request).store.get(record_type, ref)
    if record is None:
        detail = "The record instance does not exist. Provide a valid record instance ID."
        return error_response(404, "NONEXISTENT_ID", detail)
    return JSONResponse(render(request, record), media_type=SINGULAR)
