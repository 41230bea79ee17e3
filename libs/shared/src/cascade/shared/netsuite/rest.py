"""A signed SuiteTalk REST transport: URLs, an OAuth 1.0a header per request, one deadline.

Transport errors and timeouts come back as `TransportFailure` values, never as exceptions,
so each caller decides what they mean (the pusher retries, the verifier may time out).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from cascade.shared.netsuite.oauth import Method, TbaCredentials, authorization_header

REST_PATH = "/services/rest"
RECORD_PATH = REST_PATH + "/record/v1"


def record_path(record_type: str, ref: str) -> str:
    """`/services/rest/record/v1/<type>/<ref>`: a record's path below the account's base URL
    (what a request is shown as before it is sent)."""
    return f"{RECORD_PATH}/{quote(record_type)}/{quote(ref, safe=':')}"


@dataclass(frozen=True)
class TransportFailure:
    """No answer from NetSuite: the call timed out (`timed_out`) or the connection failed."""

    error: str
    timed_out: bool


class SuiteTalkRest:
    """Calls one NetSuite account over an httpx client owned by the caller."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        credentials: TbaCredentials,
        timeout_s: float,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._credentials = credentials
        self._timeout_s = timeout_s

    def record_url(self, record_type: str, ref: str) -> str:
        """`<base>/services/rest/record/v1/<type>/<ref>`, ref an internal id or `eid:<id>`."""
        return f"{self._base}{record_path(record_type, ref)}"

    def rest_url(self, path: str) -> str:
        """`<base>/services/rest<path>` for a path such as `/record/v1/customer/eid:42`."""
        return f"{self._base}{REST_PATH}{quote(path, safe='/:')}"

    async def send(
        self, method: Method, url: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | TransportFailure:
        """One signed request with the configured deadline; any answer is returned as is."""
        headers = {
            "Authorization": authorization_header(method, url, self._credentials),
            "Accept": "application/json",
        }
        # NetSuite treats a request carrying cookies as a browser session and refuses the
        # token: never send back what an earlier answer set.
        self._http.cookies.clear()
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._http.request(method, url, json=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            error = f"NetSuite did not answer {method} within {self._timeout_s:g}s"
            return TransportFailure(error, timed_out=True)
        except httpx.HTTPError as exc:
            error = f"{method} to NetSuite failed: {type(exc).__name__}: {exc}"
            return TransportFailure(error, timed_out=False)
