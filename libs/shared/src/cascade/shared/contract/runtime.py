"""What the runner, intake and verifier call to execute a contract — pure helpers, no IO.

A run's values live in one flat mapping (names are unique across a contract): runtime values,
inputs, derived values, context results, then step outputs as steps finish.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from .derive import compute_derived
from .inputs import validate_request
from .models import Contract
from .post import EventPost
from .rules import compile_rule
from .sections import ContextQuery
from .sqlinfo import sql_params
from .steps import EmailDraftStep, NetSuitePushStep, ObjectPutStep
from .templates import render_text, render_tree


class ContextResultError(ValueError):
    """A context query returned more rows than its ``returns`` allows."""


@dataclass(frozen=True)
class PreconditionOutcome:
    """One evaluated precondition; ``value`` is TRUE, FALSE or NULL (None)."""

    name: str
    severity: str
    value: bool | None
    message: str | None

    @property
    def passed(self) -> bool:
        """Only TRUE passes; FALSE and NULL do not."""
        return self.value is True

    @property
    def blocks(self) -> bool:
        """A failed ``block`` precondition stops the run."""
        return self.severity == "block" and not self.passed


def runtime_values(
    run_id: UUID | str, workflow_type: str, run_started_at: datetime
) -> dict[str, object]:
    """The values every run binds; run_id as text so SQL can concatenate or CAST it."""
    return {"run_id": str(run_id), "workflow_type": workflow_type, "run_started_at": run_started_at}


def prepare_values(
    contract: Contract,
    raw_inputs: Mapping[str, object],
    runtime: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Validate a request's inputs (pydantic.ValidationError if invalid) and add derived values;
    ``runtime`` (see ``runtime_values``) is needed by derived templates that name run values,
    and is returned too."""
    inputs = validate_request(contract.workflow_type, contract.inputs, raw_inputs)
    scope = {**inputs, **(runtime or {})}
    return {**scope, **compute_derived(contract.derived, scope)}


def bind(sql: str, values: Mapping[str, object]) -> dict[str, object]:
    """The parameters of one statement, taken from the run's values (for ``text(sql)``)."""
    missing = sorted(name for name in sql_params(sql) if name not in values)
    if missing:
        raise KeyError(f"unbound parameters: {', '.join(missing)}")
    return {name: values[name] for name in sql_params(sql)}


def shape_context_result(query: ContextQuery, rows: Sequence[Mapping[str, object]]) -> object:
    """Turn fetched rows into the value rules and SQL see: scalar -> value or None,
    one -> row dict or None, many -> tuple of row dicts (possibly empty)."""
    if query.returns == "many":
        return tuple(dict(row) for row in rows)
    if len(rows) > 1:
        raise ContextResultError(
            f"context {query.name!r} returned {len(rows)} rows; expected at most one"
        )
    if not rows:
        return None
    row = dict(rows[0])
    return next(iter(row.values())) if query.returns == "scalar" else row


def evaluate_preconditions(
    contract: Contract, values: Mapping[str, object]
) -> list[PreconditionOutcome]:
    """Evaluate every precondition (raises RuleEvaluationError on a type clash at run time)."""
    return [
        PreconditionOutcome(p.name, p.severity, compile_rule(p.rule).evaluate(values), p.message)
        for p in contract.preconditions
    ]


def blocking_names(contract: Contract) -> frozenset[str]:
    """The names the ``block`` preconditions read (inputs, derived values, context)."""
    return frozenset(
        name
        for p in contract.preconditions
        if p.severity == "block"
        for name in compile_rule(p.rule).names
    )


def context_closure(contract: Contract, names: Collection[str]) -> list[ContextQuery]:
    """The context queries named in ``names`` and those they bind (a query may bind an
    earlier query's result), in declaration order."""
    by_name = {query.name: query for query in contract.context}
    wanted: set[str] = set()
    pending = [name for name in names if name in by_name]
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending.extend(n for n in sql_params(by_name[name].sql) if n in by_name)
    return [query for query in contract.context if query.name in wanted]


def failed_blocks(contract: Contract, values: Mapping[str, object]) -> list[str]:
    """Names of the ``block`` preconditions that do not pass under ``values`` (the same
    verdict as ``evaluate_preconditions`` gives them; ``warn`` rules are not evaluated)."""
    return [
        p.name
        for p in contract.preconditions
        if p.severity == "block" and not compile_rule(p.rule).passes(values)
    ]


def entity_ref(contract: Contract, values: Mapping[str, object]) -> str:
    """The HITL proposal's entity reference for this run."""
    if contract.hitl is None:
        raise ValueError(f"{contract.workflow_type} has no hitl gate")
    return render_text(contract.hitl.entity_ref, values)


def event_key(event: EventPost, values: Mapping[str, object]) -> str:
    """The end event's idempotency key for this run."""
    return render_text(event.idempotency_key, values)


def netsuite_payload(step: NetSuitePushStep, values: Mapping[str, object]) -> tuple[str, object]:
    """(external id, REST body) of a push; NULL fields are left out of the body."""
    return render_text(step.external_id, values), render_tree(dict(step.fields), values)


def email_draft(step: EmailDraftStep, values: Mapping[str, object]) -> dict[str, str]:
    """The rendered draft: to, subject, body, and the tool that stages it."""
    return {
        "tool": step.tool,
        "to": render_text(step.to, values),
        "subject": render_text(step.subject, values),
        "body": render_text(step.body, values),
    }


class ObjectKeyError(ValueError):
    """A rendered object key is not a safe relative path (a value held a '/', '..', ...)."""


def object_key(step: ObjectPutStep, values: Mapping[str, object]) -> str:
    """The object's key for this run: the key template rendered, checked segment by segment
    (a value may not add segments, climb out with '..', or leave one empty)."""
    key = render_text(step.key, values)
    segments = key.split("/")
    if len(segments) != len(step.key.split("/")) or any(s in ("", ".", "..") for s in segments):
        raise ObjectKeyError(f"object key {key!r} of step {step.id} is not a safe relative path")
    return key


def object_document(
    step: ObjectPutStep, values: Mapping[str, object], query_results: Mapping[str, object]
) -> dict[str, object]:
    """The document an ``object_put`` step stores (pure): the step's ``document_type`` and
    ``schema_version``, then its ``document`` rendered over the run's values and the results
    of its queries, NULLs kept so every version-1 document has the same keys."""
    scope = {**values, **query_results}
    body = render_tree(dict(step.document), scope, drop_nulls=False)
    assert isinstance(body, dict)
    return {"document_type": step.document_type, "schema_version": step.schema_version, **body}
