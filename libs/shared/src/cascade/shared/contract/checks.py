"""Building blocks of the cross-reference checks: the problem type and reusable checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from pydantic import JsonValue

from .scopes import Scopes
from .sqlinfo import SqlError, check_read_only, sql_params
from .templates import TemplateSyntaxError, template_names, tree_names

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """A cross-reference problem at a path inside the contract document."""

    path: Path
    message: str


def unique(section: str, names: Iterable[str], what: str) -> Iterator[Problem]:
    """A problem for every repeated name in a list section."""
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name in seen:
            first = f"{section}[{seen[name]}]"
            yield Problem((section, index), f"duplicate {what} {name!r} (first at {first})")
        seen.setdefault(name, index)


def unique_values(path: Path, values: Iterable[str]) -> Iterator[Problem]:
    """A problem for every repeated value in a list field."""
    seen: set[str] = set()
    for index, value in enumerate(values):
        if value in seen:
            yield Problem((*path, index), f"duplicate value {value!r}")
        seen.add(value)


def check_sql(
    path: Path,
    sql: str,
    bound: frozenset[str],
    scopes: Scopes,
    *,
    step_id: str | None = None,
    expected: str = "",
    read_only: bool = True,
) -> Iterator[Problem]:
    """Parse one statement, check it is a read-only query (unless ``read_only`` is False) and
    that every ``:param`` it uses is bound."""
    try:
        if read_only:
            check_read_only(sql)
        params = sql_params(sql)
    except SqlError as error:
        yield Problem(path, str(error))
        return
    for name in sorted(params - bound):
        yield Problem(path, scopes.explain(name, f"parameter :{name}", step_id, expected))


def check_template(
    path: Path,
    template: JsonValue,
    bound: frozenset[str],
    scopes: Scopes,
    *,
    step_id: str | None = None,
    expected: str = "",
) -> Iterator[Problem]:
    """Check a template (or a tree of templates) stays in the subset and uses bound names."""
    try:
        names = tree_names(template)
    except TemplateSyntaxError as error:
        yield Problem(path, str(error))
        return
    for name in sorted(names - bound):
        yield Problem(path, scopes.explain(name, f"template name {name!r}", step_id, expected))


def names_or_empty(template: str) -> frozenset[str]:
    """The names of a template, or none when it is malformed (reported elsewhere)."""
    try:
        return template_names(template)
    except TemplateSyntaxError:
        return frozenset()
