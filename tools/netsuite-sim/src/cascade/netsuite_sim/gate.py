"""In front of the record API: the request log, the concurrency limit and the scripted faults.

Plain ASGI rather than a FastAPI dependency, because two faults need the raw connection: a
hang waits for the client to give up, and commit-then-drop lets the record be written, then
starts a response it never finishes, so uvicorn closes the socket and the caller never learns
that NetSuite committed.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cascade.netsuite_sim.errors import CONCURRENCY_DETAIL, UNEXPECTED_DETAIL, error_body
from cascade.netsuite_sim.faults import FaultSpec
from cascade.netsuite_sim.state import SimState
from cascade.netsuite_sim.store import LogEntry

RECORD_API_PREFIX = "/services/rest/"
CALL_SCOPE_KEY = "netsuite_sim.call"


@dataclass
class Call:
    """One record-API call being served; the routes may add a note (e.g. a failed login)."""

    received_at: float
    method: str
    path: str
    status: int | None = None
    fault: str | None = None
    note: str | None = None

    def entry(self) -> LogEntry:
        """The request-log row of this call."""
        finished = time.time()
        return LogEntry(
            self.received_at, finished, self.method, self.path, self.status, self.fault, self.note
        )


async def _send_json(
    send: Send, call: Call, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    raw = json.dumps(body).encode()
    call.status = status
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": head + headers})
    await send({"type": "http.response.body", "body": raw})


async def _hold(receive: Receive, seconds: float) -> bool:
    """Wait until the client hangs up (True) or `seconds` pass (False)."""
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        return False
    return True


class Gate:
    """ASGI middleware for every `/services/rest/...` call."""

    def __init__(self, app: ASGIApp, state: SimState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(RECORD_API_PREFIX):
            await self.app(scope, receive, send)
            return
        call = Call(time.time(), scope["method"], scope["path"])
        scope[CALL_SCOPE_KEY] = call
        logged = False

        async def log_then_answer(message: Message) -> None:
            # The call is logged before its first byte leaves: a client that saw the answer
            # finds the call in the log even if the simulator is killed right after. (Not at
            # the last byte: a 204 is complete for the client once its head has arrived.)
            nonlocal logged
            if message["type"] == "http.response.start" and not logged:
                self.state.store.log(call.entry())
                logged = True
            await send(message)

        try:
            await self._admit(call, scope, receive, log_then_answer)
        finally:
            if not logged:  # no answer finished: a hang the client gave up on, a drop
                self.state.store.log(call.entry())

    async def _admit(self, call: Call, scope: Scope, receive: Receive, send: Send) -> None:
        if self.state.in_flight >= self.state.concurrency_limit:
            call.fault = "concurrency_limit"
            self.state.refused_by_limit += 1
            body = error_body(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)
            await _send_json(send, call, 429, body, [])
            return
        self.state.enter()
        try:
            if self.state.latency_s > 0:
                await asyncio.sleep(self.state.latency_s)
            fault = self.state.faults.take(call.method)
            call.fault = fault.kind if fault else None
            await self._serve(fault, call, scope, receive, send)
        finally:
            self.state.in_flight -= 1

    async def _serve(
        self, fault: FaultSpec | None, call: Call, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if fault is None:
            await self.app(scope, receive, _recording(send, call))
        elif fault.kind == "error500":
            body = error_body(500, "UNEXPECTED_ERROR", UNEXPECTED_DETAIL)
            await _send_json(send, call, 500, body, [])
        elif fault.kind == "rate_limit":
            body = error_body(429, "CONCURRENCY_LIMIT_EXCEEDED", CONCURRENCY_DETAIL)
            retry_after = [(b"retry-after", str(fault.retry_after_s).encode())]
            await _send_json(send, call, 429, body, retry_after)
        elif fault.kind == "hang":
            await self._hang(fault, call, receive, send)
        else:
            await self._commit_then_drop(call, scope, receive, send)

    async def _hang(self, fault: FaultSpec, call: Call, receive: Receive, send: Send) -> None:
        if await _hold(receive, fault.hang_s):
            call.note = "client gave up while the call hung"
            return
        body = error_body(500, "UNEXPECTED_ERROR", UNEXPECTED_DETAIL)
        await _send_json(send, call, 500, body, [])

    async def _commit_then_drop(
        self, call: Call, scope: Scope, receive: Receive, send: Send
    ) -> None:
        answered: list[int] = []

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered.append(int(message["status"]))

        await self.app(scope, receive, swallow)
        call.note = f"answer {answered[:1]} dropped after the work was done"
        # A promised body that never comes: uvicorn closes the connection mid-response.
        head = [(b"content-type", b"application/json"), (b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": head})


def _recording(send: Send, call: Call) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            call.status = int(message["status"])
        await send(message)

    return wrapped
