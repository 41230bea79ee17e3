"""A run's business subject, rendered from the contract's ``presentation``: what lists show
instead of a UUID, what search matches, and the keys that make two pending runs twins.

Pure: the runner calls ``run_subject`` with whatever values a run has got (all of them for a
proposed or blocked run, the raw inputs of one whose inputs failed, none for an unknown
workflow) and stores the result on the run row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .display import MISSING, display_values
from .models import Contract
from .templates import render_text


@dataclass(frozen=True)
class Subject:
    """The rendered subject of one run."""

    title: str
    summary: list[dict[str, str]] = field(default_factory=list)
    """``{"label", "value"}`` display pairs, in the contract's order."""
    sentence: str | None = None
    twin_keys: list[str] = field(default_factory=list)
    """The rendered twin keys that are not empty, without repeats."""

    @property
    def search_text(self) -> str:
        """Lower-case title and summary values, what an ILIKE search box matches."""
        values = [pair["value"] for pair in self.summary if pair["value"] != MISSING]
        return " ".join([self.title, *values]).lower()


def run_subject(contract: Contract, scope: Mapping[str, object]) -> Subject:
    """The subject of a run with these values; a part that names a value the run does not
    have (yet) shows ``—``, and a title that cannot be rendered falls back to the workflow's."""
    presentation = contract.presentation
    if presentation is None:
        return Subject(contract.title)
    shown = display_values(contract, scope)
    title = _render(presentation.title, shown)
    summary = [
        {"label": part.label, "value": _render(part.value, shown) or MISSING}
        for part in presentation.summary
    ]
    sentence = _render(presentation.sentence, shown) if presentation.sentence else None
    return Subject(
        title=title if title and title != MISSING else contract.title,
        summary=summary,
        sentence=sentence or None,
        twin_keys=twin_keys(contract, scope),
    )


def fallback_subject(title: str) -> Subject:
    """The subject of a run nothing can be rendered for (e.g. its contract is unknown)."""
    return Subject(title)


def twin_keys(contract: Contract, scope: Mapping[str, object]) -> list[str]:
    """The run's twin keys: the named values, as text, when bound and not empty."""
    keys: list[str] = []
    for name in contract.presentation.twin_keys if contract.presentation else []:
        value = scope.get(name)
        text = "" if value is None else str(value).strip()
        if text and text not in keys:
            keys.append(text)
    return keys


def render_display(template: str, shown: Mapping[str, str]) -> str:
    """A template over display strings; a name without a value shows ``—``."""
    return _render(template, shown)


def _render(template: str, shown: Mapping[str, str]) -> str:
    try:
        return render_text(template, shown).strip()
    except KeyError:
        return render_text(template, _Missing(shown)).strip()


class _Missing(dict[str, str]):
    """Display values where every unknown name reads ``—``."""

    def __init__(self, shown: Mapping[str, str]) -> None:
        super().__init__(shown)

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return MISSING
