"""Human and machine views of a contract: the JSON document and the text page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from .changes import what_changes
from .models import Contract
from .sections import Derived, Precondition
from .steps import DbWriteStep, EmailDraftStep, NetSuitePushStep, ObjectPutStep


def contract_document(contract: Contract) -> dict[str, Any]:
    """The contract as JSON-ready data, plus its derived views (post plan, what changes)."""
    plan = contract.post_plan()
    return {
        "contract": contract.model_dump(mode="json"),
        "risk_label": contract.risk_label,
        "requires_approval": contract.requires_approval,
        "post_plan": {
            "log_run": plan.log_run.model_dump(mode="json"),
            "reflexion": plan.reflexion.model_dump(mode="json") if plan.reflexion else None,
            "event": {**plan.event.model_dump(mode="json"), "topics": plan.event.topics()},
            "declared": sorted(plan.declared),
        },
        "what_changes": [asdict(change) for change in what_changes(contract)],
    }


def contract_text(contract: Contract) -> str:
    """A readable page with the seed's sections, numbered the same way."""
    lines = [*_header(contract), ""]
    for number, (heading, section) in enumerate(_SECTIONS, start=1):
        lines += [f"{number} · {heading}", *section(contract), ""]
    return "\n".join(lines)


def _header(c: Contract) -> list[str]:
    gate = "approval required" if c.requires_approval else "no approval gate"
    reflexion = "on" if c.reflexion_enabled else "off"
    return [
        f"{c.title} ({c.workflow_type}) · contract v{c.version} · risk {c.risk_level} "
        f"{c.risk_label} · {gate}",
        f"owner {c.owner} · reflexion {reflexion}",
        "",
        c.description,
    ]


def _trigger(c: Contract) -> list[str]:
    t = c.trigger
    schedule = f" · schedule {t.schedule} UTC · catch_up {t.catch_up_policy}" if t.schedule else ""
    lines = [f"  kind {t.kind} · sources {', '.join(t.sources)} · invoker {t.invoker}{schedule}"]
    lines += [f"  {name:<26} <- event {path}" for name, path in t.inputs_from.items()]
    if t.kind == "event":
        lines.append(
            f"  event id: the CloudEvent's id; plain JSON {t.id_from or '(refused: no id_from)'}"
        )
    lines.append(f"  Execute form (approvals page): {'yes' if t.admin_executable else 'no'}")
    return lines


def _inputs(c: Contract) -> list[str]:
    return [
        *(
            f"  {i.name:<26} {'required' if i.required else 'optional':<9} {i.type}"
            for i in c.inputs
        ),
        *(f"  {d.name:<26} derived   {_derivation(d)}" for d in c.derived),
    ]


def _derivation(d: Derived) -> str:
    return f"template {d.template}" if d.template else f"{d.function}({', '.join(d.args)})"


def _context(c: Contract) -> list[str]:
    return [f"  {q.name} ({q.returns}; {', '.join(q.tables)}): {_flat(q.sql)}" for q in c.context]


def _preconditions(c: Contract) -> list[str]:
    lines = []
    for p in c.preconditions:
        lines.append(f"  [{p.severity}] {p.name}: {p.rule}")
        lines += [f"      {label}: {text}" for label, text in _notes(p) if text]
    return lines


def _notes(p: Precondition) -> list[tuple[str, str | None]]:
    return [("message", p.message), ("downstream", _flat(p.downstream or ""))]


def _verify(c: Contract) -> list[str]:
    lines = []
    for v in c.verify:
        until = f", retried until {_dump(v, 'retry_until')}" if v.retry_until else ""
        lines.append(f"  {v.name} ({v.kind}, after {_dump(v, 'window')}{until}): {_check(v)}")
        if v.repair is not None:
            says = f": {v.repair.says}" if v.repair.says else ""
            lines.append(f"      repair: re-run {', '.join(v.repair.rerun)}{says}")
    return lines


def _retry(c: Contract) -> list[str]:
    return ["  " + ", ".join(f"{k}: {v}" for k, v in c.retry.model_dump().items())]


def _changes(c: Contract) -> list[str]:
    return [f"  {x.system:<24} {x.resource:<28} {x.action} — {x.source}" for x in what_changes(c)]


def _hitl(contract: Contract) -> list[str]:
    hitl = contract.hitl
    if hitl is None or not contract.requires_approval:
        return [f"  none: risk {contract.risk_level} is below the gate (>= 3)"]
    dump = hitl.model_dump(mode="json")
    return [f"  {key}: {value}" for key, value in dump.items()]


def _steps(contract: Contract) -> list[str]:
    lines = []
    for number, step in enumerate(contract.fan_out, start=1):
        needs = f" needs {', '.join(step.needs)}" if step.needs else ""
        lines.append(f"  #{number} {step.id} {step.kind} → {step.target}{needs}")
        if isinstance(step, DbWriteStep):
            lines += [f"      {_flat(s.sql)}" for s in step.statements]
        elif isinstance(step, NetSuitePushStep):
            fields = ", ".join(step.fields)
            lines.append(f"      {step.record_type} by external id {step.external_id}: {fields}")
        elif isinstance(step, EmailDraftStep):
            lines.append(f"      {step.tool} to {step.to}: {step.subject}")
        elif isinstance(step, ObjectPutStep):
            reads = ", ".join(q.name for q in step.queries) or "no queries"
            what = f"{step.document_type} v{step.schema_version}"
            lines.append(f"      PUT {step.key} ({what}; reads {reads})")
        if step.says:
            lines.append(f"      says: {_flat(step.says)}")
    return lines


def _presentation(contract: Contract) -> list[str]:
    p = contract.presentation
    if p is None:
        return ["  none: runs are titled by the workflow's title"]
    lines = [f"  title: {p.title}"]
    lines += [f"  {part.label}: {part.value}" for part in p.summary]
    if p.sentence:
        lines.append(f"  sentence: {_flat(p.sentence)}")
    if p.twin_keys:
        lines.append(f"  twin keys: {', '.join(p.twin_keys)}")
    return lines


def _post(contract: Contract) -> list[str]:
    plan = contract.post_plan()
    lines = [f"  log_run → {plan.log_run.table}"]
    if plan.reflexion is not None:
        lines.append(f"  reflexion → reflexion_log tags {', '.join(plan.reflexion.tags)}")
    lines.append(f"  event → {' | '.join(plan.event.topics())} key {plan.event.idempotency_key}")
    return lines


def _check(check: Any) -> str:
    if check.kind == "sql":
        return _flat(check.sql)
    if check.kind == "object":
        version = f" schema_version {check.schema_version}" if check.schema_version else ""
        return f"object {check.key} sha256 {check.sha256}{version}"
    return f"{check.method} {check.system}{check.path}"


def _dump(model: Any, field: str) -> str:
    return str(model.model_dump(mode="json")[field])


def _flat(text: str) -> str:
    return " ".join(text.split())


_SECTIONS: list[tuple[str, Callable[[Contract], list[str]]]] = [
    ("Trigger", _trigger),
    ("Inputs", _inputs),
    ("Context (read-only queries before fan-out)", _context),
    ("Preconditions", _preconditions),
    ("HITL gate", _hitl),
    ("Fan-out", _steps),
    ("Post actions (declared ones configure the runner's automatic ones)", _post),
    ("Verify", _verify),
    ("Retry policy", _retry),
    ("What changes when this workflow runs", _changes),
    ("Presentation (how runs are titled and summarised for the approver)", _presentation),
]
