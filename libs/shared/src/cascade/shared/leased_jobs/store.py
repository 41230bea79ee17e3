"""A job table in PostgreSQL: claim a due row with a lease, write only while it is ours.

A claim takes the most overdue rows (as many as the worker has free slots) that are waiting
and due, or running with their lease run out (their worker died), with `FOR UPDATE SKIP
LOCKED`, so several workers in one process or many never take the same row; it counts the
attempt and sets the lease in the same statement, committed before the slow work starts.
The outcome is written fenced: only while the row is still running under the lease value
this claim set (unique per claim), so a late answer from a worker whose lease was retaken
changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from sqlalchemy import Float, LargeBinary, TextClause, bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.shared.db.autocommit import AUTOCOMMIT, first_alone
from cascade.shared.db.base import Base
from cascade.shared.outbox import OutboxRecord
from cascade.shared.tracing import TRACEPARENT
from cascade.shared.wakeup import OUTBOX, factory_bells, wake_after_commit


@dataclass(frozen=True, kw_only=True)
class ClaimedJob:
    """A job this worker holds until `lease_until` (its write fence); `attempt` is this
    attempt's number in round `round` (1-based; a table without a per-round cap has one
    round, and `attempt` counts every attempt); `exhausted` when retaken after the round's
    last allowed attempt was cut off; `retaken` when the previous owner's lease ran out
    with nothing recorded.

    A job table's typed claim subclasses it and adds one field per column its worker
    needs, named as the column: that is all a claim returns (`JobTable.returning`)."""

    job_id: int
    attempt: int
    round: int = 0
    lease_until: datetime
    exhausted: bool = False
    retaken: bool = False
    traceparent: str | None = None
    """The trace of the work that made the job (its row's `traceparent`), continued by the
    attempt; None for a table without one."""


J = TypeVar("J", bound=ClaimedJob)

LEASE_FIELDS = frozenset(f.name for f in fields(ClaimedJob))
"""The fields every claim fills from the lease itself, not from a column of its own."""


@dataclass(frozen=True)
class JobTable(Generic[J]):
    """How a table holds its jobs: which statuses wait and which one runs, the column with
    the due time and the one with the lease's end (one column may serve as both: a running
    row is "due" again when its lease ends), and the typed claim its workers get. The
    defaults are the job tables' common schema (`next_attempt_at`, `lease_until`, status
    `failed`)."""

    model: type[Base]
    running: str
    waiting: tuple[str, ...]
    claimed: type[J]
    due_column: str = "next_attempt_at"
    lease_column: str = "lease_until"
    failed: str = "failed"

    def __post_init__(self) -> None:
        # Names are pasted into SQL below: only identifiers and plain status words.
        names = (self.name, self.due_column, self.lease_column, *self.returning)
        words = (self.running, self.failed, *self.waiting)
        if not all(n.isidentifier() for n in (*names, *words)):
            raise ValueError(f"job table {self.name!r}: names must be identifiers")
        missing = sorted(set(self.returning) - set(self.model.__table__.columns.keys()))
        if missing:
            raise ValueError(f"{self.claimed.__name__}: job table {self.name!r} has no {missing}")

    @property
    def returning(self) -> tuple[str, ...]:
        """The columns a claim returns: one per field of the typed claim beyond the lease's,
        and `round` where the table keeps its own (derived, so the two cannot drift)."""
        own = tuple(f.name for f in fields(self.claimed) if f.name not in LEASE_FIELDS)
        return (*own, "round") if self.own_round else own

    @property
    def own_round(self) -> bool:
        """Whether the table keeps its own `round` column (verify checks: a re-verification
        is a new round, with no cap on attempts) instead of counting rounds by attempts."""
        return "round" in self.model.__table__.columns

    @property
    def has_updated_at(self) -> bool:
        """Whether writes also stamp `updated_at` (read from the model, so it cannot drift)."""
        return "updated_at" in self.model.__table__.columns

    @property
    def name(self) -> str:
        """The table's name."""
        return str(self.model.__tablename__)

    @property
    def bell(self) -> str:
        """The name of the bell its workers rest on, rung after a commit that made a job
        due (`wake_due`)."""
        return f"jobs.{self.name}"


@dataclass(frozen=True)
class Claim:
    """A row this worker holds until `lease_until`; `attempts` already counts this attempt
    unless `exhausted` (retaken after the round's last allowed attempt was cut off);
    `retaken` when the previous owner's lease ran out with nothing recorded, so the outcome
    of its attempt is unknown."""

    job_id: int
    attempts: int
    lease_until: datetime
    exhausted: bool
    row: Mapping[str, Any]
    retaken: bool = False


def _quoted(words: tuple[str, ...]) -> str:
    return ", ".join(f"'{word}'" for word in words)


@cache  # built once per table: its text is its cache key in SQLAlchemy's compiled cache
def claim_statement(table: JobTable[Any]) -> TextClause:
    """The claim: lease the `:limit` most overdue rows (`:lease_s`); `:cap` attempts per
    round, 0 for no cap. A retaken row whose count is a multiple of the cap had its last
    allowed attempt cut off: it is claimed `exhausted`, without counting another."""
    due, lease = table.due_column, table.lease_column
    returned = "".join(f", j.{column}" for column in table.returning)
    if TRACEPARENT in table.model.__table__.c and TRACEPARENT not in table.returning:
        # The trace the job continues (`ClaimedJob.traceparent`), on every table that keeps one.
        returned += f", j.{TRACEPARENT}"
    touch = ", updated_at = now()" if table.has_updated_at else ""
    return text(f"""
WITH due AS (
    SELECT id,
           status = '{table.running}' AND :cap > 0
               AND attempts % GREATEST(:cap, 1) = 0 AS exhausted,
           status = '{table.running}' AS retaken
    FROM {table.name}
    WHERE (status IN ({_quoted(table.waiting)}) AND {due} <= now())
       OR (status = '{table.running}' AND {lease} <= now())
    ORDER BY {due}, id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE {table.name} AS j
SET status = '{table.running}',
    attempts = CASE WHEN due.exhausted THEN j.attempts ELSE j.attempts + 1 END,
    {lease} = now() + make_interval(secs => :lease_s){touch}
FROM due
WHERE j.id = due.id
RETURNING j.id, j.attempts, j.{lease} AS lease_until, due.exhausted, due.retaken{returned}
""")


async def claim_due(
    factory: async_sessionmaker[AsyncSession],
    table: JobTable[Any],
    lease_s: float,
    max_attempts: int | None = None,
    limit: int = 1,
) -> list[Claim]:
    """Lease up to `limit` of the most overdue jobs of `table`, committed before they run;
    empty when idle. The claim is one statement, so it runs as its own transaction (no
    BEGIN/COMMIT round trips), and one claim serves every free slot of a worker instead of
    a claim per job and an empty one after."""
    params = {"cap": max_attempts or 0, "lease_s": lease_s, "limit": limit}
    async with factory() as session:
        conn = await session.connection(execution_options=AUTOCOMMIT)
        rows = (await conn.execute(claim_statement(table), params)).all()
    # All of them start at once: the order UPDATE ... RETURNING gives them in is fine.
    return [
        Claim(
            job_id=values["id"],
            attempts=values["attempts"],
            lease_until=values["lease_until"],
            exhausted=values["exhausted"],
            row=dict(values),
            retaken=values["retaken"],
        )
        for values in (row._mapping for row in rows)
    ]


@cache
def next_due_statement(table: JobTable[Any]) -> TextClause:
    """Seconds until the table's next claim could succeed: the earliest due waiting row or
    lease end of a running one (negative when one is due already; NULL when none waits)."""
    return text(f"""
SELECT EXTRACT(EPOCH FROM LEAST(
    (SELECT min({table.due_column}) FROM {table.name}
     WHERE status IN ({_quoted(table.waiting)})),
    (SELECT min({table.lease_column}) FROM {table.name} WHERE status = '{table.running}')
) - now()) AS seconds
""")


async def seconds_until_due(
    factory: async_sessionmaker[AsyncSession], table: JobTable[Any]
) -> float | None:
    """How long a worker of `table` may rest before a job falls due; None when none waits."""
    row = await first_alone(factory, next_due_statement(table))
    seconds = None if row is None else row[0]
    return None if seconds is None else max(float(seconds), 0.0)


async def write_fenced(
    session: AsyncSession,
    table: JobTable[Any],
    job_id: int,
    lease_until: datetime,
    values: Mapping[str, Any],
) -> bool:
    """Update the claimed row with `values` only while it still runs under this claim's
    lease; False (nothing written) when another worker retook it."""
    model: Any = table.model
    stmt = (
        update(model)
        .where(
            model.id == job_id,
            model.status == table.running,
            getattr(model, table.lease_column) == lease_until,
        )
        .values(**values)
        .returning(model.id)
        # The claim's row was never loaded into this session: nothing to synchronize, and
        # the ORM's evaluation of the WHERE clause against the identity map was a hot spot.
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(stmt)).first() is not None


@dataclass(frozen=True)
class DbNow:
    """A value of `record_fenced`: the database's clock at the write (`now()`, the clock
    every due time and lease is compared with), `after_s` seconds on."""

    after_s: float = 0.0


@cache
def fenced_record_statement(
    table: JobTable[Any],
    columns: tuple[str, ...],
    staged: int,
    also: tuple[str, ...] = (),
    clocked: frozenset[str] = frozenset(),
) -> TextClause:
    """`write_fenced`'s UPDATE and `staged` outbox rows as one statement: the rows are
    inserted only when the fence held (data-modifying CTEs run once, whatever the outer
    query reads); it returns whether it did. Each of `also` is one more data-modifying
    statement of the same record (a mirror row the outcome updates), which must act only
    when the fence held: it reads `fenced` (e.g. `WHERE EXISTS (SELECT 1 FROM fenced)`)."""
    if not all(c.isidentifier() for c in columns):
        raise ValueError(f"job table {table.name!r}: columns must be identifiers")
    if not all("fenced" in statement for statement in also):
        raise ValueError("a statement recorded with a fenced outcome must read `fenced`")
    model_columns = table.model.__table__.c
    assignments = ", ".join(
        f"{c} = now() + make_interval(secs => :v_{c})" if c in clocked else f"{c} = :v_{c}"
        for c in columns
    )
    inserts = "".join(
        f""",
also_{i} AS (
    {statement}
)"""
        for i, statement in enumerate(also)
    )
    inserts += "".join(
        f""",
staged_{i} AS (
    INSERT INTO outbox (topic, key, payload, headers)
    SELECT :topic_{i}, :key_{i}, :payload_{i}, CAST(:headers_{i} AS JSONB) FROM fenced
)"""
        for i in range(staged)
    )
    binds = [
        bindparam(f"v_{c}", type_=Float() if c in clocked else model_columns[c].type)
        for c in columns
    ]
    binds += [bindparam(f"payload_{i}", type_=LargeBinary()) for i in range(staged)]
    return text(f"""
WITH fenced AS (
    UPDATE {table.name} SET {assignments}
    WHERE id = :job_id AND status = '{table.running}' AND {table.lease_column} = :lease_until
    RETURNING id
){inserts}
SELECT count(*) AS fenced FROM fenced
""").bindparams(*binds)


async def record_fenced(
    factory: async_sessionmaker[AsyncSession],
    table: JobTable[Any],
    job_id: int,
    lease_until: datetime,
    values: Mapping[str, Any],
    staged: Sequence[OutboxRecord] = (),
    also: Sequence[tuple[str, Mapping[str, Any]]] = (),
) -> bool:
    """`write_fenced` and the outbox rows that announce it, committed as one statement (one
    round trip instead of BEGIN, the UPDATE, the INSERT, COMMIT); False (nothing written)
    when another worker retook the job. `also`: more writes of the same outcome, each SQL
    (reading `fenced`, see `fenced_record_statement`) with its parameters (named apart from
    the job's own). The process's relay is rung for the rows."""
    clocked = frozenset(c for c, v in values.items() if isinstance(v, DbNow))
    statement = fenced_record_statement(
        table, tuple(values), len(staged), tuple(sql for sql, _ in also), clocked
    )
    params: dict[str, Any] = {"job_id": job_id, "lease_until": lease_until}
    for _sql, extra in also:
        params |= extra
    params |= {
        f"v_{column}": value.after_s if isinstance(value, DbNow) else value
        for column, value in values.items()
    }
    for i, record in enumerate(staged):
        params |= {
            f"topic_{i}": record.topic,
            f"key_{i}": record.key,
            f"payload_{i}": record.payload,
            f"headers_{i}": json.dumps(record.headers),
        }
    row = await first_alone(factory, statement, params)
    written = row is not None and row[0] > 0
    if written and staged:
        factory_bells(factory)[OUTBOX].ring()
    return written


def requeue_statement(table: JobTable[Any], status: str) -> TextClause:
    """A failed job back to `status`, due now, its count moved to the end of its round."""
    clear_lease = "" if table.lease_column == table.due_column else f", {table.lease_column} = NULL"
    touch = ", updated_at = now()" if table.has_updated_at else ""
    return text(f"""
UPDATE {table.name}
SET status = '{status}',
    attempts = ((attempts + :cap - 1) / :cap) * :cap,
    {table.due_column} = now(){clear_lease}{touch}
WHERE id = :id AND status = '{table.failed}'
RETURNING id
""")


async def requeue_failed(
    session: AsyncSession, table: JobTable[Any], job_id: int, max_attempts: int, status: str
) -> bool:
    """Start a new round of attempts for a failed job (in `session`'s transaction);
    False unless it was failed."""
    if not status.isidentifier():
        raise ValueError(f"status {status!r} is not a plain word")
    params = {"id": job_id, "cap": max_attempts}
    requeued = (await session.execute(requeue_statement(table, status), params)).first()
    if requeued is not None:
        wake_due(session, table)
    return requeued is not None


def wake_due(session: AsyncSession, table: JobTable[Any]) -> None:
    """Wake the workers of `table` in this process once `session` commits (a job it
    inserted or changed is due)."""
    wake_after_commit(session, table.bell)
