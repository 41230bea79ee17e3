"""Building blocks of the cross-reference checks: the problem type and reusable checks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
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


@dataclass(frozen=True)
class InScope:
    """The names a place in the contract may use (`bound`), and what explains one it may not:
    the contract's scopes, the step it sits in, what the place expects."""

    bound: frozenset[str]
    scopes: Scopes
    step_id: str | None = None
    expected: str = ""

    def unbound(
        self, path: Path, used: Iterable[str], label: Callable[[str], str]
    ) -> Iterator[Problem]:
        """A problem for every used name that is not bound here, in name order."""
        for name in sorted(set(used) - self.bound):
            explained = self.scopes.explain(name, label(name), self.step_id, self.expected)
            yield Problem(path, explained)


def check_sql(path: Path, sql: str, names: InScope, *, read_only: bool = True) -> Iterator[Problem]:
    """Parse one statement, check it is a read-only query (unless ``read_only`` is False) and
    that every ``:param`` it uses is bound."""
    try:
        if read_only:
            check_read_only(sql)
        params = sql_params(sql)
    except SqlError as error:
        yield Problem(path, str(error))
        return
    yield from names.unbound(path, params, lambda name: f"parameter :{name}")


def check_template(path: Path, template: JsonValue, names: InScope) -> Iterator[Problem]:
    """Check a template (or a tree of templates) stays in the subset and uses bound names."""
    try:
        used = tree_names(template)
    except TemplateSyntaxError as error:
        yield Problem(path, str(error))
        return
    yield from names.unbound(path, used, lambda name: f"template name {name!r}")


def names_or_empty(template: str) -> frozenset[str]:
    """The names of a template, or none when it is malformed (reported elsewhere)."""
    try:
        return template_names(template)
    except TemplateSyntaxError:
        return frozenset()
