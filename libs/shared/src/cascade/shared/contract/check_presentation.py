"""Cross-reference checks of what people are shown: the ``presentation`` templates, each
step's ``says`` and the twin keys name values the run binds."""

from __future__ import annotations

from collections.abc import Iterator

from .checks import InScope, Path, Problem, check_template, unique_values
from .models import Contract
from .scopes import Scopes

EXPECTED_IN_PRESENTATION = (
    "an input, a derived value, a context result or a runtime value "
    "(run_id, workflow_type, run_started_at)"
)
EXPECTED_IN_TWIN_KEYS = (
    "the name of an input, a derived value, a scalar context result or a runtime value"
)


def check_presentation(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Title, summary values and sentence use bound names; labels are unique; every twin
    key names a value; every step's ``says`` uses names bound for that step."""
    shown = scopes.before_context | frozenset(scopes.context)
    presentation = contract.presentation
    if presentation is not None:
        yield from _template(("presentation", "title"), presentation.title, shown, scopes)
        for index, part in enumerate(presentation.summary):
            path: Path = ("presentation", "summary", index, "value")
            yield from _template(path, part.value, shown, scopes)
        labels = [part.label for part in presentation.summary]
        yield from unique_values(("presentation", "summary"), labels)
        if presentation.sentence is not None:
            path = ("presentation", "sentence")
            yield from _template(path, presentation.sentence, shown, scopes)
        yield from unique_values(("presentation", "twin_keys"), presentation.twin_keys)
        keys = scopes.before_context | scopes.scalars
        for index, name in enumerate(presentation.twin_keys):
            if name not in keys:
                message = f"{name!r} is not bound; expected {EXPECTED_IN_TWIN_KEYS}"
                yield Problem(("presentation", "twin_keys", index), message)
    for index, step in enumerate(contract.fan_out):
        if step.says is not None:
            bound = scopes.for_step(step.id) | frozenset(scopes.context)
            path = ("fan_out", index, "says")
            yield from check_template(path, step.says, InScope(bound, scopes, step_id=step.id))


def _template(
    path: Path, template: str, bound: frozenset[str], scopes: Scopes
) -> Iterator[Problem]:
    yield from check_template(
        path, template, InScope(bound, scopes, expected=EXPECTED_IN_PRESENTATION)
    )
