"""The SuiteTalk REST client: upsert one record by external id, then read it back.

Every request gets a fresh OAuth signature and an overall deadline; transport errors and
timeouts become `Retryable` outcomes, so the caller never sees an exception for a NetSuite
that is slow, down or cut off mid-answer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx

from cascade.ns_pusher.oauth import Method, TbaCredentials, authorization_header
from cascade.ns_pusher.responses import (
    Outcome,
    Retryable,
    applied_from_record,
    classify_failure,
    internal_id_from_location,
)

log = logging.getLogger(__name__)

RECORD_PATH = "/services/rest/record/v1"


class SuiteTalkClient:
    """Writes records to one NetSuite account over an httpx client owned by the caller."""

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
        return f"{self._base}{RECORD_PATH}/{quote(record_type)}/{quote(ref, safe=':')}"

    async def upsert(self, record_type: str, external_id: str, body: dict[str, Any]) -> Outcome:
        """PUT by `eid:` (so a repeat after a lost answer updates instead of creating),
        then GET the record for its internal id and last-modified time."""
        url = self.record_url(record_type, f"eid:{external_id}")
        written = await self._call("PUT", url, body)
        if not isinstance(written, httpx.Response):
            return written
        if not written.is_success:
            return classify_failure(
                written.status_code, written.headers, written.content, datetime.now(UTC)
            )
        internal_id = internal_id_from_location(written.headers.get("location"))
        ref = internal_id or f"eid:{external_id}"
        read = await self._call("GET", self.record_url(record_type, ref), None)
        if not isinstance(read, httpx.Response):
            return read
        if read.status_code != 200:
            return classify_failure(read.status_code, read.headers, read.content, datetime.now(UTC))
        return applied_from_record(read.status_code, read.content)

    async def _call(
        self, method: Method, url: str, body: dict[str, Any] | None
    ) -> httpx.Response | Retryable:
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
            return Retryable(f"NetSuite did not answer {method} within {self._timeout_s:g}s")
        except httpx.HTTPError as exc:
            return Retryable(f"{method} to NetSuite failed: {type(exc).__name__}: {exc}")
