"""What a contract's SQL does, read with sqlglot (PostgreSQL dialect) and never executed here.

Parameters are named (``:company_name``), the style SQLAlchemy's ``text()`` binds natively;
positional ``?`` is refused because a contract must say what each value is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_TEXT_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!:)")
_CAST_SUFFIX = re.compile(r"(?<![:\w]):\w+::")
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge)
_FORBIDDEN_IN_READS = (*_WRITES, exp.Create, exp.Drop, exp.Alter, exp.Command, exp.Lock)


class SqlError(ValueError):
    """The SQL cannot be used where it appears (syntax, statement kind, parameters)."""


@dataclass(frozen=True)
class WriteEffect:
    """The table a write statement changes and how (INSERT, UPSERT, UPDATE, DELETE ...)."""

    table: str
    action: str


@lru_cache(maxsize=512)
def parse_sql(sql: str) -> exp.Expr:
    """Parse exactly one PostgreSQL statement."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="postgres") if s is not None]
    except SqlglotError as error:
        raise SqlError(f"SQL does not parse: {_first_line(str(error))}") from error
    if len(statements) != 1:
        raise SqlError(f"expected exactly one SQL statement, found {len(statements)}")
    if isinstance(statements[0], exp.Command):
        raise SqlError(f"unsupported SQL statement {statements[0].sql()[:40]!r}")
    return statements[0]


@lru_cache(maxsize=512)
def sql_params(sql: str) -> frozenset[str]:
    """The named parameters (``:name``) a statement uses."""
    names: set[str] = set()
    for placeholder in parse_sql(sql).find_all(exp.Placeholder):
        if not isinstance(placeholder.this, str) or not placeholder.this:
            raise SqlError("positional parameters (?) are not allowed; expected :name parameters")
        names.add(placeholder.this)
    _check_binds_alike(sql, names)
    return frozenset(names)


def _check_binds_alike(sql: str, parsed: set[str]) -> None:
    # The runner binds with SQLAlchemy's text(), which finds parameters by pattern, not by
    # parsing: it would bind ":x" inside a string literal or comment and skip ":x::type".
    # Refuse SQL where the two readings differ, so what was validated is what runs.
    if _CAST_SUFFIX.search(sql):
        raise SqlError("expected CAST(:name AS type); ':name::type' is not bound by the runner")
    textual = set(_TEXT_BIND.findall(sql))
    if textual != parsed:
        stray = ", ".join(f":{n}" for n in sorted(textual ^ parsed))
        raise SqlError(
            f"{stray} appears inside a string literal or comment; expected ':' "
            "followed by a name only for parameters"
        )


def read_tables(sql: str) -> frozenset[str]:
    """Every table a statement refers to (CTE names excluded)."""
    statement = parse_sql(sql)
    ctes = {cte.alias for cte in statement.find_all(exp.CTE)}
    return frozenset(_table_name(t) for t in statement.find_all(exp.Table) if t.name not in ctes)


def check_read_only(sql: str) -> None:
    """Raise unless the statement is a query that cannot change anything."""
    statement = parse_sql(sql)
    if not isinstance(statement, exp.Query):
        raise SqlError(f"expected a SELECT query, got {statement.key.upper()}")
    for node in statement.walk():
        if isinstance(node, _FORBIDDEN_IN_READS):
            raise SqlError(f"expected a read-only SELECT, found {node.key.upper()} inside it")
        if isinstance(node, exp.Select) and node.args.get("locks"):
            raise SqlError("expected a read-only SELECT, found a row lock (FOR UPDATE/SHARE)")


def select_width(sql: str) -> int | None:
    """How many columns a SELECT returns, or None when it uses ``*``."""
    statement = parse_sql(sql)
    if not isinstance(statement, exp.Query):
        return None
    columns = statement.selects
    if any(isinstance(c, exp.Star) or c.find(exp.Star) for c in columns):
        return None
    return len(columns)


def write_effect(sql: str) -> WriteEffect:
    """The table a single INSERT/UPDATE/DELETE changes; raises for anything else."""
    statement = parse_sql(sql)
    if not isinstance(statement, (exp.Insert, exp.Update, exp.Delete)):
        raise SqlError(f"expected INSERT, UPDATE or DELETE, got {statement.key.upper()}")
    target = statement.this
    if isinstance(target, exp.Schema):
        target = target.this
    if not isinstance(target, exp.Table):
        raise SqlError("cannot tell which table this statement writes")
    return WriteEffect(table=_table_name(target), action=_action(statement))


def returning_columns(sql: str) -> frozenset[str]:
    """The column names a write statement's RETURNING clause yields (aliases win)."""
    returning = parse_sql(sql).args.get("returning")
    if returning is None:
        return frozenset()
    return frozenset(column.alias_or_name for column in returning.expressions)


def _action(statement: exp.Expr) -> str:
    conflict = statement.args.get("conflict")
    if isinstance(statement, exp.Insert) and conflict is not None:
        action = str(conflict.args.get("action", "")).upper()
        return "UPSERT" if "UPDATE" in action else "INSERT (skip existing)"
    return statement.key.upper()


def _table_name(table: exp.Table) -> str:
    return f"{table.db}.{table.name}" if table.db else table.name


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def select_names(sql: str) -> list[str]:
    """The names of the columns a SELECT returns (aliases win), in order; empty for ``*``."""
    statement = parse_sql(sql)
    if not isinstance(statement, exp.Query) or select_width(sql) is None:
        return []
    return [column.alias_or_name for column in statement.selects]
