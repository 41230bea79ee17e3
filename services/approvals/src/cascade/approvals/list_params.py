"""The query parameters the list pages share: search text, date range, offset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query

from cascade.approvals.bodies import OneLine
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
