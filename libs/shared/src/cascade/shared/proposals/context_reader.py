"""Loads a run's context: the contract's queries, read-only, bound, with a statement timeout."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.canonical import to_jsonable
from cascade.shared.contract import ContextQuery, bind, shape_context_result
from cascade.shared.db.autocommit import AUTOCOMMIT
from cascade.shared.db.models import ReflexionEntry

PRIOR_REFLEXIONS = 5


class RunContext(Protocol):
    """What a run's context is read with (`ContextReader`; a test hands in a stand-in)."""

    async def load(
        self, queries: Sequence[ContextQuery], values: Mapping[str, object]
    ) -> dict[str, Any]:
        """Each query's shaped result by name, in order (a later query binds earlier ones)."""
        ...

    async def prior_reflexions(
        self, subject_key: str | None, email_domain: str | None
    ) -> list[dict[str, Any]]:
        """Narratives of earlier runs about the same company or email domain, newest first."""
        ...


class ContextReader:
    """Runs context queries in their own read-only transaction, never the handler's."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], timeout_ms: int) -> None:
        self._factory = session_factory
        self._timeout_ms = timeout_ms

    async def load(
        self, queries: Sequence[ContextQuery], values: Mapping[str, object]
    ) -> dict[str, Any]:
        """Each query's shaped result by name, in one read-only transaction (e.g. a
        contract's `context`); raises on timeout or a malformed result."""
        results: dict[str, Any] = {}
        async with self._factory() as session, session.begin():
            # READ ONLY makes a query that tries to write fail instead of writing; asked for
            # as an option of the transaction's BEGIN, it costs no round trip of its own.
            await session.connection(execution_options={"postgresql_readonly": True})
            await session.execute(text(f"SET LOCAL statement_timeout = {int(self._timeout_ms)}"))
            for query in queries:
                params = bind(query.sql, {**values, **results})
                rows = await session.execute(text(query.sql), params)
                shaped = shape_context_result(query, [dict(r) for r in rows.mappings()])
                results[query.name] = shaped
        return results

    async def prior_reflexions(
        self, subject_key: str | None, email_domain: str | None
    ) -> list[dict[str, Any]]:
        """Narratives of earlier runs about the same company or email domain, newest first."""
        conditions = []
        if subject_key:
            conditions.append(ReflexionEntry.subject_key == subject_key)
        if email_domain:
            conditions.append(ReflexionEntry.email_domain == email_domain)
        if not conditions:
            return []
        async with self._factory() as session:
            # One statement: its own transaction (no BEGIN/ROLLBACK round trips around it).
            await session.connection(execution_options=AUTOCOMMIT)
            rows = await session.scalars(
                select(ReflexionEntry)
                .where(or_(*conditions))
                .order_by(ReflexionEntry.created_at.desc())
                .limit(PRIOR_REFLEXIONS)
            )
            return [
                to_jsonable(
                    {
                        "run_id": r.run_id,
                        "workflow_type": r.workflow_type,
                        "narrative": r.narrative,
                        "tags": r.tags,
                        "created_at": r.created_at,
                    }
                )
                for r in rows
            ]


def subject_of(values: Mapping[str, object]) -> tuple[str | None, str | None]:
    """What a run is about, for reflexions: a normalized company name and an email domain."""
    subject = values.get("company_name_normalized")
    email = values.get("contact_email")
    domain = str(email).rsplit("@", 1)[1].lower() if email and "@" in str(email) else None
    return (str(subject) if subject else None), domain
