"""Reading an untrusted HTTP request body: bounded in size and in time, one way for every service.

Each service maps the two refusals to its own error shape (413 and 408); the JSON inside is
then parsed with `cascade.shared.bounded_json`, which bounds its nesting.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is (or announces itself as) larger than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class BodyTimeout(Exception):
    """The client did not send the whole body within `timeout_s` seconds."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"the body was not received within {timeout_s:g} s")
        self.timeout_s = timeout_s


CLOSE_CONNECTION = {"Connection": "close"}
"""Headers of a 408: the rest of a stalled body may still arrive, so the connection ends."""


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The whole body, at most `limit` bytes, within `timeout_s` seconds from the first read.

    Refuses early on a `Content-Length` over the limit and while streaming (chunked bodies
    announce nothing). uvicorn has no body timeout of its own, so without the deadline a
    client that sends its headers and then a byte a minute holds a connection forever.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout(timeout_s) from None
    return b"".join(chunks)
