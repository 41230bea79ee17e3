"""The pusher's SuiteTalk use: upsert one record by external id, then read it back.

The signed transport is the shared one (`cascade.shared.netsuite`); here its answers become
push outcomes, so the caller never sees an exception for a NetSuite that is slow, down or
cut off mid-answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from cascade.ns_pusher.responses import (
    Outcome,
    Retryable,
    applied_from_record,
    classify_failure,
    internal_id_from_location,
)
from cascade.shared.netsuite.rest import SuiteTalkRest
from cascade.shared.netsuite.transport import TransportFailure


class SuiteTalkClient:
    """Writes records to one NetSuite account through the shared signed transport."""

    def __init__(self, rest: SuiteTalkRest) -> None:
        self._rest = rest

    def record_url(self, record_type: str, ref: str) -> str:
        """`<base>/services/rest/record/v1/<type>/<ref>`, ref an internal id or `eid:<id>`."""
        return self._rest.record_url(record_type, ref)

    async def upsert(self, record_type: str, external_id: str, body: dict[str, Any]) -> Outcome:
        """PUT by `eid:` (so a repeat after a lost answer updates instead of creating),
        then GET the record for its internal id and last-modified time: one after the
        other in one request slot, taken once (the GET is never refused for want of room
        after a PUT that went through)."""
        async with self._rest.exchange(2, "PUT") as rest:
            if isinstance(rest, TransportFailure):
                return Retryable(rest.error)
            url = self.record_url(record_type, f"eid:{external_id}")
            written = _answer(await rest.send("PUT", url, body))
            if not isinstance(written, httpx.Response):
                return written
            if not written.is_success:
                return classify_failure(
                    written.status_code, written.headers, written.content, datetime.now(UTC)
                )
            internal_id = internal_id_from_location(written.headers.get("location"))
            ref = internal_id or f"eid:{external_id}"
            read = _answer(await rest.send("GET", self.record_url(record_type, ref)))
        if not isinstance(read, httpx.Response):
            return read
        if read.status_code != 200:
            return classify_failure(read.status_code, read.headers, read.content, datetime.now(UTC))
        return applied_from_record(read.status_code, read.content)


def _answer(answer: httpx.Response | TransportFailure) -> httpx.Response | Retryable:
    # No answer means the write may or may not have happened: the upsert is repeatable.
    return answer if isinstance(answer, httpx.Response) else Retryable(answer.error)
