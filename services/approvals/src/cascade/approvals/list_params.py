"""The query parameters the list pages share: search text, date range, offset (one
dependency, `ListParams`), and what a list template makes of them (filters, pager)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, TypedDict
from urllib.parse import urlencode

from fastapi import Depends, Query

from cascade.approvals.bodies import OneLine
from cascade.approvals.queries import Page
from cascade.approvals.ui_queries import Search

PAGE_SIZE = 50
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
SearchText = Annotated[OneLine | None, Query(max_length=200)]
Day = Annotated[date | None, Query()]


def search_of(q: str | None, since: date | None, until: date | None) -> Search:
    """The search the form asked for; blank text means none."""
    return Search((q or "").strip() or None, since, until)


@dataclass(frozen=True)
class Pager:
    """Previous / next links of a list that keep its filters."""

    filters: dict[str, str]
    offset: int
    shown: int
    page_size: int = PAGE_SIZE

    def _link(self, offset: int) -> str:
        kept = {k: v for k, v in self.filters.items() if v}
        return "?" + urlencode({**kept, "offset": offset} if offset else kept)

    @property
    def previous(self) -> str | None:
        """The page before, or None on the first."""
        return self._link(max(self.offset - self.page_size, 0)) if self.offset > 0 else None

    @property
    def next(self) -> str | None:
        """The page after, or None when this one was not full."""
        return self._link(self.offset + self.page_size) if self.shown == self.page_size else None


def search_filters(search: Search) -> dict[str, str]:
    """The search as query parameters (for links and the form's values)."""
    return {
        "q": search.text or "",
        "since": search.since.isoformat() if search.since else "",
        "until": search.until.isoformat() if search.until else "",
    }


class Listing(TypedDict):
    """The template variables of a list's filters (`**` into `render`)."""

    filters: dict[str, str]
    narrowed: bool
    pager: Pager


@dataclass(frozen=True)
class ListQuery:
    """The search and the page a list was asked for."""

    search: Search
    offset: int = 0

    @property
    def page(self) -> Page:
        """The rows to show: `PAGE_SIZE` from the offset."""
        return Page(PAGE_SIZE, self.offset)

    @property
    def searched(self) -> bool:
        """Whether any search field is set."""
        return any(search_filters(self.search).values())

    def listing(self, shown: int, narrowed: bool | None = None, **own: str) -> Listing:
        """What a list template needs of its filters: their values (the page's `own` ones,
        then the search), whether they narrow the list (by default: whether any is set)
        and the pager over `shown` rows."""
        filters = {**own, **search_filters(self.search)}
        return Listing(
            filters=filters,
            narrowed=any(filters.values()) if narrowed is None else narrowed,
            pager=Pager(filters, self.offset, shown),
        )


def list_query(
    q: SearchText = None, since: Day = None, until: Day = None, offset: Offset = 0
) -> ListQuery:
    """The shared list parameters of a request (a FastAPI dependency)."""
    return ListQuery(search_of(q, since, until), offset)


ListParams = Annotated[ListQuery, Depends(list_query)]
