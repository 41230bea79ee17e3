"""What the SuiteTalk transport's parts share: the failure value and the request-auth seam.

Kept apart from `rest` so both auth modes (`oauth` for TBA, `oauth2` for M2M) can name them
without importing the transport that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

Method = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class TransportFailure:
    """No answer from NetSuite: the call timed out (`timed_out`) or the connection failed."""

    error: str
    timed_out: bool


class RequestAuth(Protocol):
    """How each request proves who sends it (TBA signs every request; M2M sends a bearer
    token it got once)."""

    async def authorization(
        self, http: httpx.AsyncClient, method: Method, url: str
    ) -> str | httpx.Response | TransportFailure:
        """The Authorization header for this request, or the answer that stands in for the
        request's own when no header could be had (a refused or unreachable token endpoint)."""
        ...

    def rejected(self, authorization: str) -> bool:
        """NetSuite answered 401 to a request sent with `authorization`. True when a second
        try, with a header asked for anew, may succeed."""
        ...
