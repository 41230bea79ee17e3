"""Cross-reference checks no single section can make: unique names, bound parameters and
template names, rule names, ``needs`` (references, cycles), the HITL invariant and the
consistency of post actions. ``check_contract`` runs them all."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .check_presentation import check_presentation
from .check_sections import (
    check_context,
    check_derived,
    check_hitl,
    check_post,
    check_preconditions,
    check_verify,
)
from .check_steps import check_fan_out
from .check_trigger import check_trigger
from .checks import Path, Problem, unique
from .models import RUNTIME_NAMES, Contract
from .scopes import Scopes


def check_contract(contract: Contract) -> list[Problem]:
    """Every cross-reference problem of a structurally valid contract (empty when valid)."""
    scopes = Scopes.of(contract)
    checks: list[Iterable[Problem]] = [
        check_names(contract),
        check_trigger(contract),
        check_derived(contract),
        check_context(contract, scopes),
        check_preconditions(contract, scopes),
        check_hitl(contract, scopes),
        check_fan_out(contract, scopes),
        check_post(contract),
        check_verify(contract, scopes),
        check_presentation(contract, scopes),
    ]
    return [problem for check in checks for problem in check]


def check_names(contract: Contract) -> Iterator[Problem]:
    """Names are unique per section, and the values they bind share one flat namespace
    (inputs, derived values, context results, step outputs, runtime values)."""
    yield from unique("inputs", (i.name for i in contract.inputs), "input")
    yield from unique("derived", (d.name for d in contract.derived), "derived value")
    yield from unique("context", (q.name for q in contract.context), "context query")
    yield from unique("preconditions", (p.name for p in contract.preconditions), "precondition")
    yield from unique("fan_out", (s.id for s in contract.fan_out), "step id")
    yield from unique("post", (p.kind for p in contract.post), "post action")
    yield from unique("verify", (v.name for v in contract.verify), "verify check")
    owner: dict[str, str] = {name: "a runtime value" for name in RUNTIME_NAMES}
    for path, name in _bound_names(contract):
        if name in owner:
            yield Problem(path, f"{name!r} is already bound by {owner[name]}; expected a new name")
        owner.setdefault(name, f"{path[0]}[{path[1]}]")


def _bound_names(contract: Contract) -> list[tuple[Path, str]]:
    named: list[tuple[Path, str]] = []
    for section, items in (
        ("inputs", contract.inputs),
        ("derived", contract.derived),
        ("context", contract.context),
    ):
        named.extend(((section, i, "name"), item.name) for i, item in enumerate(items))
    for index, step in enumerate(contract.fan_out):
        named.extend((("fan_out", index, "outputs"), name) for name in sorted(step.outputs()))
    return named
