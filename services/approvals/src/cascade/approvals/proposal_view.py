"""What the decision desk shows of a proposal's payload (pure): the runner's `presentation`
when the payload carries one, otherwise the same parts rebuilt from an older payload
(inputs, context, preconditions, what_changes) so proposals staged before it still render."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cascade.approvals.warning_badges import humanised
from cascade.shared.contract import Contract

# A reminder is a `workflow.alert` event of this reason (services/runner reminders.py).
REMINDER_REASON = "approval_overdue"
# What the runner writes into `workflow_runs.error` when its re-check at approval blocks.
BLOCKED_AT_APPROVAL = "blocked at approval by precondition "
# The external id contracts give the customers a run creates (new_customer.yaml), which
# names the run: `cascade-customer-<run id>`.
EXTERNAL_ID_PREFIX = "cascade-customer-"
# `?done=` of the inbox after "Approve & next" / "Reject & next" decided the last one.
QUEUE_EMPTY = "queue-empty"


def queue_notice(done: str | None) -> str | None:
    """The inbox's notice for `?done=`, when it is one the decision desk sends."""
    if done == QUEUE_EMPTY:
        return "Decided. Nothing else is waiting for you: the queue is empty."
    return None


@dataclass(frozen=True)
class Rule:
    """A precondition that did not hold, with the sentence Mike reads; a warning's
    `downstream` says what a later system will do with it (e.g. that NetSuite will refuse
    the value), when the contract knows."""

    name: str
    message: str
    downstream: str | None = None

    @property
    def label(self) -> str:
        """The badge, as the lists name it ("invalid email" for `valid_email`)."""
        return humanised(self.name)


@dataclass(frozen=True)
class Query:
    """A context query: its SQL, bound values and the rows it returned."""

    name: str
    sql: str | None
    params: Mapping[str, Any]
    rows: Any

    def table(self) -> tuple[list[str], list[list[Any]]] | None:
        """(columns, rows) when the result is a list of records, else None."""
        records = self.rows if isinstance(self.rows, list) else None
        if not records or not all(isinstance(r, Mapping) for r in records):
            return None
        columns = list(dict.fromkeys(k for r in records for k in r))
        return columns, [[r.get(c) for c in columns] for r in records]


@dataclass(frozen=True)
class Statement:
    """An SQL statement of a fan-out step and the values bound to it."""

    step: str
    sql: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class NetsuiteRequest:
    """A NetSuite request exactly as ns-pusher will send it."""

    step: str
    record_type: str
    method: str
    path: str
    body: Any

    @property
    def body_json(self) -> str:
        """The body as sent: JSON, keys in the order the runner rendered them."""
        return json.dumps(self.body, indent=2, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Change:
    """One business row of "what changes"."""

    system: str
    resource: str
    says: str


@dataclass(frozen=True)
class Presentation:
    """Every part of the page that depends on the payload's shape."""

    title: str | None
    sentence: str | None
    summary: list[tuple[str, str]]
    changes: list[Change]
    plumbing: list[Mapping[str, Any]]
    warnings: list[Rule]
    queries: list[Query]
    statements: list[Statement] = field(default_factory=list)
    netsuite: list[NetsuiteRequest] = field(default_factory=list)
    from_runner: bool = True
    """False for a payload staged before the runner wrote `presentation`."""


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _pairs(items: Any) -> list[tuple[str, str]]:
    rows = items if isinstance(items, list) else []
    return [
        (_text(r.get("label")), _text(r.get("value")))
        for r in rows
        if isinstance(r, Mapping) and r.get("value") not in (None, "")
    ]


def _records(items: Any) -> list[Mapping[str, Any]]:
    return [r for r in items if isinstance(r, Mapping)] if isinstance(items, list) else []


def downstream_text(value: Any) -> str | None:
    """What a warning's `downstream` says, whatever shape the contract gave it."""
    if not value:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        said = value.get("message") or value.get("says")
        system = value.get("system") or "a downstream system"
        return _text(said) if said else f"{system} will refuse it"
    return "a downstream system will refuse it"


def presentation(payload: Mapping[str, Any], contract: Contract | None) -> Presentation:
    """The payload's presentation, or the fallback rebuilt from its older sections."""
    shown = payload.get("presentation")
    if not isinstance(shown, Mapping):
        return _fallback(payload, contract)
    return Presentation(
        title=_text(shown.get("title")) or None,
        sentence=_text(shown.get("sentence")) or None,
        summary=_pairs(shown.get("summary")),
        changes=[
            Change(_text(c.get("system")), _text(c.get("resource")), _text(c.get("says")))
            for c in _records(shown.get("changes"))
        ],
        plumbing=_records(shown.get("plumbing")),
        warnings=[
            Rule(
                _text(w.get("name")),
                _text(w.get("message")) or _rule_message(w.get("name"), contract),
                downstream_text(w.get("downstream")),
            )
            for w in _records(shown.get("warnings"))
        ],
        queries=[
            Query(_text(q.get("name")), q.get("sql"), q.get("params") or {}, q.get("rows"))
            for q in _records(shown.get("queries"))
        ],
        statements=[
            Statement(_text(s.get("step")), _text(s.get("sql")), s.get("params") or {})
            for s in _records(shown.get("statements"))
        ],
        netsuite=[
            NetsuiteRequest(
                _text(n.get("step")),
                _text(n.get("record_type")),
                _text(n.get("method")),
                _text(n.get("path")),
                n.get("body"),
            )
            for n in _records(shown.get("netsuite"))
        ],
    )


def _fallback(payload: Mapping[str, Any], contract: Contract | None) -> Presentation:
    inputs = payload.get("inputs")
    inputs = inputs if isinstance(inputs, Mapping) else {}
    context = payload.get("context")
    context = context if isinstance(context, Mapping) else {}
    sql = {q.name: q.sql for q in contract.context} if contract else {}
    return Presentation(
        title=_text(inputs.get("company_name")) or None,
        sentence=None,
        summary=_input_pairs(inputs, contract),
        changes=[],
        plumbing=_records(payload.get("what_changes")),
        warnings=failed_rules(payload, contract, severity="warn"),
        queries=[Query(name, sql.get(name), {}, rows) for name, rows in sorted(context.items())],
        from_runner=False,
    )


def _input_pairs(inputs: Mapping[str, Any], contract: Contract | None) -> list[tuple[str, str]]:
    """The submitted inputs as (label, value), in the contract's order, without the empty."""
    order = [i.name for i in contract.inputs] if contract else []
    names = [n for n in order if n in inputs] + sorted(n for n in inputs if n not in order)
    return [
        (n.replace("_", " ").capitalize(), _text(inputs[n]))
        for n in names
        if inputs[n] not in (None, "")
    ]


def _rule_message(name: Any, contract: Contract | None) -> str:
    for rule in contract.preconditions if contract else []:
        if rule.name == name:
            return rule.message or f"The rule {rule.rule} does not hold."
    return f"The rule {name} does not hold."


def failed_rules(
    payload: Mapping[str, Any], contract: Contract | None, severity: str
) -> list[Rule]:
    """The preconditions of `severity` that did not pass when the proposal was staged."""
    return [
        Rule(
            _text(r.get("name")), _text(r.get("message")) or _rule_message(r.get("name"), contract)
        )
        for r in _records(payload.get("preconditions"))
        if r.get("severity") == severity and r.get("passed") is False
    ]


def blocked_at_approval(error: str | None, contract: Contract | None) -> list[Rule] | None:
    """The rules that blocked the run when the runner re-checked at approval, or None when
    the run was not blocked there (parsed from the reason the runner records)."""
    if not error or not error.startswith(BLOCKED_AT_APPROVAL):
        return None
    names = [n.strip() for n in error.removeprefix(BLOCKED_AT_APPROVAL).split(",") if n.strip()]
    return [Rule(n, _rule_message(n, contract)) for n in names]


def creator_run(created_by_run_id: object, external_id: str | None) -> str | None:
    """The run that created a customer, as a string for a link, when it is known."""
    if created_by_run_id is not None:
        return str(created_by_run_id)
    if external_id and external_id.startswith(EXTERNAL_ID_PREFIX):
        return external_id.removeprefix(EXTERNAL_ID_PREFIX) or None
    return None


def shown_rules(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, bool, str]]:
    """(name, severity, passed, message) for the preconditions table; a passed rule shows no
    message, since its message describes the failure."""
    return [
        (
            _text(r.get("name")),
            _text(r.get("severity")),
            r.get("passed") is True,
            "" if r.get("passed") is True else _text(r.get("message")),
        )
        for r in rows
        if isinstance(r, Mapping)
    ]
