"""Rows as repositories write them: added to the transaction, or inserted as one statement."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import inspect
from sqlalchemy.dialects.postgresql import Insert, insert
from sqlalchemy.ext.asyncio import AsyncSession

from cascade.shared.db.base import Base

RowT = TypeVar("RowT", bound=Base)
RowT_contra = TypeVar("RowT_contra", bound=Base, contravariant=True)


class Rows(Protocol[RowT_contra]):
    """Rows a use case only ever adds (a run's log line, its ledger entry, ...)."""

    def add(self, row: RowT_contra) -> None:
        """Add `row` to the transaction."""
        ...


class SqlRows(Generic[RowT]):
    """`Rows` of a session: written at its next flush, in the order they were added."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, row: RowT) -> None:
        self._session.add(row)


def insert_of(row: Base) -> Insert:
    """The INSERT of a transient `row` with exactly the columns its constructor was given
    (the others get their defaults, as in an ORM flush), for a statement the session does
    not track: `ON CONFLICT`, `RETURNING`."""
    state = inspect(row)
    values: dict[str, Any] = {
        attr.key: state.dict[attr.key]
        for attr in state.mapper.column_attrs
        if attr.key in state.dict
    }
    return insert(type(row)).values(**values)
