"""Contract errors: each names the file, the path inside the document and what was expected."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem found in a contract document."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{where}: {self.path}" if self.path else where
        return f"{where}: {self.message}"


class ContractError(Exception):
    """A contract failed to load; `issues` lists every problem found, in document order."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("\n".join(str(issue) for issue in self.issues))


class RuleSyntaxError(ValueError):
    """A precondition rule uses syntax outside the allowed subset."""


class RuleEvaluationError(ValueError):
    """A rule could not be evaluated against the given values (unbound name, type clash)."""


def format_path(parts: Iterable[str | int]) -> str:
    """Render a document path such as ``fan_out[2].needs[0]``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
