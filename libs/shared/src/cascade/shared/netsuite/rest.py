"""The SuiteTalk REST transport: URLs, an authenticated request (TBA or OAuth 2.0 M2M), one
deadline.

Transport errors and timeouts come back as `TransportFailure` values, never as exceptions,
so each caller decides what they mean (the pusher retries, the verifier may time out).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from cascade.shared.netsuite.transport import Method, RequestAuth, TransportFailure

__all__ = [
    "RECORD_PATH",
    "REST_PATH",
    "HeldRest",
    "RequestGate",
    "SuiteTalkRest",
    "TransportFailure",
    "record_path",
]

REST_PATH = "/services/rest"
RECORD_PATH = REST_PATH + "/record/v1"


def record_path(record_type: str, ref: str) -> str:
    """`/services/rest/record/v1/<type>/<ref>`: a record's path below the account's base URL
    (what a request is shown as before it is sent)."""
    return f"{RECORD_PATH}/{quote(record_type)}/{quote(ref, safe=':')}"


class RequestGate(Protocol):
    """What bounds the requests in flight to the account (`cascade.shared.request_slots`):
    `hold()` is held around each request (or each sequence of `sends` requests sent one
    after another), and raises `TimeoutError` when no room came free in time."""

    def hold(self, sends: int = 1) -> contextlib.AbstractAsyncContextManager[object]:
        """Room for one request at a time, for the block of `sends` requests."""
        ...


Observe = Callable[[str, int | str, float], None]
"""Told of every request: its method, outcome (the status code, or `timeout`/`error` when no
answer came) and seconds to it (the service's metrics)."""


class SuiteTalkRest:
    """Calls one NetSuite account over an httpx client owned by the caller; with a `gate`,
    every request first takes room from it (NetSuite's account concurrency limit)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        auth: RequestAuth,
        timeout_s: float,
        gate: RequestGate | None = None,
        observe: Observe | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._auth = auth
        self._timeout_s = timeout_s
        self._gate = gate
        self._observe = observe

    def record_url(self, record_type: str, ref: str) -> str:
        """`<base>/services/rest/record/v1/<type>/<ref>`, ref an internal id or `eid:<id>`."""
        return f"{self._base}{record_path(record_type, ref)}"

    def rest_url(self, path: str) -> str:
        """`<base>/services/rest<path>` for a path such as `/record/v1/customer/eid:42`."""
        return f"{self._base}{REST_PATH}{quote(path, safe='/:')}"

    async def send(
        self, method: Method, url: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | TransportFailure:
        """One authenticated request with the configured deadline; any answer is returned as
        is. A 401 to a bearer token is tried once more with a new token (it may have expired
        or been revoked between our clock and NetSuite's). The gate is held over it all (the
        token request and a repeat included: they go one at a time, so in one slot); no room
        within the gate's wait is a failure without any request, `timed_out` false."""
        async with self.exchange(1, method) as held:
            if isinstance(held, TransportFailure):
                return held
            return await held.send(method, url, body)

    @contextlib.asynccontextmanager
    async def exchange(
        self, sends: int, what: str = "request"
    ) -> AsyncIterator[HeldRest | TransportFailure]:
        """Room in the gate for up to `sends` requests sent one after another (a write and
        its read-back): one slot taken and released once for all of them, not one per
        request (two statements and a wait each), and never more than one in flight. The
        block gets the sender, or the failure when no room came free within the gate's
        wait (nothing sent, `timed_out` false)."""
        if self._gate is None:
            yield HeldRest(self, sends)
            return
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self._gate.hold(sends))
            except TimeoutError as exc:
                # Only the wait for room raises it: a request's own deadline is a return value.
                yield TransportFailure(f"{what} to NetSuite not sent: {exc}", timed_out=False)
                return
            yield HeldRest(self, sends)

    async def _send_held(
        self, method: Method, url: str, body: dict[str, Any] | None
    ) -> httpx.Response | TransportFailure:
        answer = await self._send_once(method, url, body)
        retry = isinstance(answer, tuple) and self._auth.rejected(answer[1])
        if retry:
            answer = await self._send_once(method, url, body)
        return answer[0] if isinstance(answer, tuple) else answer

    async def _send_once(
        self, method: Method, url: str, body: dict[str, Any] | None
    ) -> httpx.Response | TransportFailure | tuple[httpx.Response, str]:
        """The answer, or (a 401 answer, the Authorization it refused)."""
        authorization = await self._auth.authorization(self._http, method, url)
        if not isinstance(authorization, str):
            return authorization
        headers = {"Authorization": authorization, "Accept": "application/json"}
        # NetSuite treats a request carrying cookies as a browser session and refuses the
        # token: never send back what an earlier answer set.
        self._http.cookies.clear()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout_s):
                answer = await self._http.request(method, url, json=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            self._observed(method, "timeout", started)
            error = f"NetSuite did not answer {method} within {self._timeout_s:g}s"
            return TransportFailure(error, timed_out=True)
        except httpx.HTTPError as exc:
            self._observed(method, "error", started)
            error = f"{method} to NetSuite failed: {type(exc).__name__}: {exc}"
            return TransportFailure(error, timed_out=False)
        self._observed(method, answer.status_code, started)
        return (answer, authorization) if answer.status_code == 401 else answer

    def _observed(self, method: str, outcome: int | str, started: float) -> None:
        if self._observe is not None:
            self._observe(method, outcome, time.perf_counter() - started)


class HeldRest:
    """Requests sent within one held room of the gate (`SuiteTalkRest.exchange`), one
    after another, at most as many as the room was taken for."""

    def __init__(self, rest: SuiteTalkRest, sends: int) -> None:
        self._rest = rest
        self._left = sends

    async def send(
        self, method: Method, url: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | TransportFailure:
        """One request as `SuiteTalkRest.send` sends it, in the room already held."""
        if self._left <= 0:
            # The slot's lease was sized for the sends asked for: one more could outlive it.
            raise RuntimeError("more NetSuite requests than the held room was taken for")
        self._left -= 1
        return await self._rest._send_held(method, url, body)
