"""Cross-reference checks of the sections around the fan-out."""

from __future__ import annotations

from collections.abc import Iterator

from .checks import InScope, Path, Problem, check_sql, check_template, names_or_empty, unique_values
from .derive import FUNCTIONS
from .errors import RuleSyntaxError
from .models import RUNTIME_NAMES, Contract
from .post import EVENT_KEY_NAMES, EventPost, ReflexionPost
from .rules import compile_rule
from .scopes import EXPECTED_IN_CONTEXT, EXPECTED_IN_RULES, EXPECTED_IN_VERIFY, Scopes
from .sections import HITL_RISK_GATE, HttpCheck, ObjectCheck, Repair, SqlCheck
from .sqlinfo import read_tables, select_width
from .templates import TemplateSyntaxError, template_names


def check_derived(contract: Contract) -> Iterator[Problem]:
    """Functions get the right number of arguments, each an input or an earlier derived value;
    templates name only inputs, earlier derived values and runtime values."""
    known = {i.name for i in contract.inputs}
    for index, derived in enumerate(contract.derived):
        if derived.template is not None:
            yield from _check_derived_template(index, derived.template, frozenset(known))
            known.add(derived.name)
            continue
        assert derived.function is not None
        arity, _ = FUNCTIONS[derived.function]
        if arity is not None and len(derived.args) != arity:
            message = f"{derived.function} takes {arity} argument(s), got {len(derived.args)}"
            yield Problem(("derived", index, "args"), message)
        for position, arg in enumerate(derived.args):
            if arg not in known:
                message = f"{arg!r} is not bound; expected an input or an earlier derived value"
                yield Problem(("derived", index, "args", position), message)
        known.add(derived.name)


def _check_derived_template(index: int, template: str, known: frozenset[str]) -> Iterator[Problem]:
    path: Path = ("derived", index, "template")
    try:
        names = template_names(template)
    except TemplateSyntaxError as error:
        yield Problem(path, str(error))
        return
    for name in sorted(names - known - RUNTIME_NAMES):
        message = (
            f"template name {name!r} is not bound; expected an input, an earlier derived value "
            "or a runtime value (run_id, workflow_type, run_started_at)"
        )
        yield Problem(path, message)


def check_context(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Context SQL is one read-only SELECT over the declared tables with bound parameters."""
    for index, query in enumerate(contract.context):
        path: Path = ("context", index, "sql")
        bound = scopes.before_context
        problems = list(
            check_sql(path, query.sql, InScope(bound, scopes, expected=EXPECTED_IN_CONTEXT))
        )
        yield from problems
        if problems:
            continue
        read = read_tables(query.sql)
        if read != set(query.tables):
            message = f"expected the tables the query reads, {sorted(read)}, got {query.tables}"
            yield Problem(("context", index, "tables"), message)
        if query.returns == "scalar" and select_width(query.sql) != 1:
            yield Problem(path, "expected exactly one selected column for returns: scalar")


def check_preconditions(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Rules parse into the allowed subset and read only known names."""
    booleans = {i.name for i in contract.inputs if i.type == "boolean"}
    for index, precondition in enumerate(contract.preconditions):
        path: Path = ("preconditions", index, "rule")
        try:
            rule = compile_rule(precondition.rule)
        except RuleSyntaxError as error:
            yield Problem(path, str(error))
            continue
        for name, column in sorted(rule.references, key=str):
            if name not in scopes.for_rules:
                yield Problem(path, scopes.explain(name, f"name {name!r}", None, EXPECTED_IN_RULES))
            elif column is not None and scopes.context.get(name) != "one":
                message = f"{name}.{column}: expected a context result with returns: one"
                yield Problem(path, message)
        for name in sorted((rule.conditions - booleans) & scopes.for_rules):
            message = f"{name!r} is used as a condition; expected a boolean input or a comparison"
            yield Problem(path, message)


def check_hitl(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Risk >= 3 has a gate; the gate fires; its entity_ref names the run."""
    hitl = contract.hitl
    if hitl is None:
        if contract.risk_level >= HITL_RISK_GATE:
            message = (
                f"expected a hitl gate: risk_level {contract.risk_level} >= {HITL_RISK_GATE} "
                "is always approved before fan-out"
            )
            yield Problem(("hitl",), message)
        return
    bound = scopes.before_context | scopes.scalars
    yield from check_template(("hitl", "entity_ref"), hitl.entity_ref, InScope(bound, scopes))
    if "run_id" not in names_or_empty(hitl.entity_ref):
        message = "expected {{ run_id }} in entity_ref (one proposal per run)"
        yield Problem(("hitl", "entity_ref"), message)
    if not contract.requires_approval:
        message = (
            f"the gate never fires: risk_level {contract.risk_level} < risk_gate "
            f"{hitl.risk_gate}; expected risk_gate <= risk_level, or no hitl"
        )
        yield Problem(("hitl", "risk_gate"), message)


def check_post(contract: Contract) -> Iterator[Problem]:
    """Reflexion needs reflexion_enabled; the end event covers every possible outcome."""
    for index, action in enumerate(contract.post):
        if isinstance(action, ReflexionPost) and not contract.reflexion_enabled:
            message = "a reflexion post action needs reflexion_enabled: true"
            yield Problem(("post", index), message)
        if isinstance(action, EventPost):
            yield from _check_event(("post", index), action, len(contract.fan_out))


def _check_event(path: Path, event: EventPost, steps: int) -> Iterator[Problem]:
    yield from unique_values((*path, "types"), event.types)
    needed = ["completed", "failed"] + (["partial"] if steps > 1 else [])
    for outcome in needed:
        if outcome not in event.types:
            message = f"expected {outcome!r} among the types: a run of this workflow can end so"
            yield Problem((*path, "types"), message)
    names = names_or_empty(event.idempotency_key)
    if "run_id" not in names or not names <= EVENT_KEY_NAMES:
        message = "expected a template over {{ run_id }} (and optionally {{ workflow_type }})"
        yield Problem((*path, "idempotency_key"), message)


def check_verify(contract: Contract, scopes: Scopes) -> Iterator[Problem]:
    """Verify SQL is read-only; SQL, HTTP paths and object keys/hashes use names bound after
    the run."""
    bound = scopes.after_run
    for index, check in enumerate(contract.verify):
        if isinstance(check, SqlCheck):
            path: Path = ("verify", index, "sql")
            yield from check_sql(
                path, check.sql, InScope(bound, scopes, expected=EXPECTED_IN_VERIFY)
            )
        elif isinstance(check, HttpCheck):
            path = ("verify", index, "path")
            yield from check_template(
                path, check.path, InScope(bound, scopes, expected=EXPECTED_IN_VERIFY)
            )
        elif isinstance(check, ObjectCheck):
            for field in ("key", "sha256"):
                path = ("verify", index, field)
                template = getattr(check, field)
                yield from check_template(
                    path, template, InScope(bound, scopes, expected=EXPECTED_IN_VERIFY)
                )
        if check.repair is not None:
            yield from _check_repair(("verify", index, "repair"), check.repair, contract)


REPAIRABLE_KINDS = ("object_put",)
"""Step kinds a repair can run again: an `object_put` writes its recorded bytes again."""


def _check_repair(path: Path, repair: Repair, contract: Contract) -> Iterator[Problem]:
    yield from unique_values((*path, "rerun"), repair.rerun)
    kinds = {step.id: step.kind for step in contract.fan_out}
    for position, step_id in enumerate(repair.rerun):
        where = (*path, "rerun", position)
        kind = kinds.get(step_id)
        if kind is None:
            yield Problem(where, f"unknown step {step_id!r}; expected one of {sorted(kinds)}")
        elif kind not in REPAIRABLE_KINDS:
            message = (
                f"step {step_id!r} is a {kind} step; a repair can re-run "
                f"{', '.join(REPAIRABLE_KINDS)} steps"
            )
            yield Problem(where, message)
