"""Cross-reference checks of the fan-out: ``needs`` (references, cycles), SQL writes and
their outputs, templates."""

from __future__ import annotations

from collections.abc import Iterator

from .checks import InScope, Path, Problem, check_sql, check_template, unique_values
from .models import AnyStep, Contract
from .plan import find_cycle
from .scopes import Scopes
from .sqlinfo import SqlError, returning_columns, write_effect
from .steps import ObjectPutStep, SqlStatement


def check_fan_out(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Check every step, then the dependency graph as a whole."""
    ids = [step.id for step in contract.fan_out]
    for index, step in enumerate(contract.fan_out):
        yield from _check_needs(index, step, ids)
        yield from _check_step_sql(index, step, scopes)
        yield from _check_step_queries(index, step, scopes)
        bound = scopes.for_step(step.id) | step.local_names()
        for suffix, template in step.template_parts():
            path: Path = ("fan_out", index, *suffix)
            yield from check_template(path, template, InScope(bound, scopes, step_id=step.id))
    cycle = find_cycle(scopes.needs)
    if cycle is not None:
        index = ids.index(cycle[0])
        position = contract.fan_out[index].needs.index(cycle[1])
        message = f"needs forms a cycle: {' -> '.join(cycle)}; expected an acyclic order"
        yield Problem(("fan_out", index, "needs", position), message)


def _check_step_queries(index: int, step: AnyStep, scopes: Scopes) -> Iterator[Problem]:
    # An object_put step's queries only read (they run in the run's own transaction).
    if not isinstance(step, ObjectPutStep):
        return
    bound = scopes.for_step(step.id)
    yield from unique_names(
        ("fan_out", index, "queries"), [query.name for query in step.queries], scopes
    )
    for position, query in enumerate(step.queries):
        path: Path = ("fan_out", index, "queries", position, "sql")
        yield from check_sql(path, query.sql, InScope(bound, scopes, step_id=step.id))


def unique_names(path: Path, names: list[str], scopes: Scopes) -> Iterator[Problem]:
    """A problem for a repeated query name, or one that hides a name the run binds."""
    yield from unique_values(path, names)
    everything = scopes.after_run
    for position, name in enumerate(names):
        if name in everything:
            message = f"query name {name!r} is already a name of the run; choose another"
            yield Problem((*path, position, "name"), message)


def _check_needs(index: int, step: AnyStep, ids: list[str]) -> Iterator[Problem]:
    yield from unique_values(("fan_out", index, "needs"), step.needs)
    for position, need in enumerate(step.needs):
        path: Path = ("fan_out", index, "needs", position)
        if need == step.id:
            yield Problem(path, f"step {step.id!r} cannot need itself")
        elif need not in ids:
            yield Problem(path, f"unknown step {need!r}; expected one of {sorted(ids)}")


def _check_step_sql(index: int, step: AnyStep, scopes: Scopes) -> Iterator[Problem]:
    bound = scopes.for_step(step.id)
    for suffix, statement, extra in step.sql_parts():
        path: Path = ("fan_out", index, *suffix)
        problems = list(
            check_sql(
                (*path, "sql"),
                statement.sql,
                InScope(bound | extra, scopes, step_id=step.id),
                read_only=False,
            )
        )
        yield from problems
        if not problems:
            yield from _check_write(path, statement)


def _check_write(path: Path, statement: SqlStatement) -> Iterator[Problem]:
    try:
        write_effect(statement.sql)
        returned = returning_columns(statement.sql)
    except SqlError as error:
        yield Problem((*path, "sql"), str(error))
        return
    for name, column in statement.outputs.items():
        if column not in returned:
            message = f"output {name!r} reads column {column!r}, which the RETURNING clause "
            message += f"does not yield; expected one of {sorted(returned) or '(no RETURNING)'}"
            yield Problem((*path, "outputs", name), message)
