"""The read-only API routes' one shape: read in a unit of work, shape the rows before it
ends (it rolls back on exit, expiring them), answer a page or one body or 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.approvals.errors import ApiError
from cascade.approvals.queries import Page
from cascade.approvals.views import Json
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.runtime import ServiceRuntime

Row = TypeVar("Row")
Found = TypeVar("Found")


async def page_of(
    runtime: ServiceRuntime,
    read: Callable[[AsyncSession, Page], Awaitable[Sequence[Row]]],
    shape: Callable[[Row], Json],
    page: Page,
) -> JSONResponse:
    """`{"items": [...], "limit", "offset"}` of the rows `read` finds in `page`."""
    async with UnitOfWork(runtime.session_factory) as uow:
        items = [shape(row) for row in await read(uow.session, page)]
    return JSONResponse({"items": items, "limit": page.limit, "offset": page.offset})


async def one_of(
    runtime: ServiceRuntime,
    read: Callable[[AsyncSession], Awaitable[Found | None]],
    shape: Callable[[Found], Json],
    missing: str,
) -> JSONResponse:
    """The shaped body of what `read` finds, or a 404 saying `missing`."""
    async with UnitOfWork(runtime.session_factory) as uow:
        found = await read(uow.session)
        body = shape(found) if found is not None else None
    if body is None:
        raise ApiError(404, "not_found", missing)
    return JSONResponse(body)
