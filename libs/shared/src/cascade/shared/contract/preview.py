"""What approving a run will do, in words, before anything ran: one business row per fan-out
step (its ``says``), the plumbing rows with their templates filled in, and an explicit marker
for each value that only exists once an earlier step has run (never a bare ``{{ name }}``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from .changes import what_changes
from .models import AnyStep, Contract
from .sqlinfo import write_effect
from .steps import DbWriteStep, NetSuitePushStep, ObjectPutStep
from .subject import render_display
from .templates import TemplateSyntaxError


def pending_outputs(contract: Contract) -> dict[str, str]:
    """A marker for every step output, e.g. ``customer_id`` -> ``(set when step write_d1 has
    run)``: bound under the run's real values, so only what is truly unknown shows it."""
    return {
        name: f"(set when step {step.id} has run)"
        for step in contract.fan_out
        for name in sorted(step.outputs())
    }


def business_changes(contract: Contract, shown: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per fan-out step: ``step``, ``system``, ``resource`` and what it ``says``,
    rendered over display values (a step without ``says`` shows its description)."""
    rows = []
    for step in contract.fan_out:
        system, resource = _where(step)
        says = render_display(step.says, shown) if step.says else _described(step)
        rows.append({"step": step.id, "system": system, "resource": resource, "says": says})
    return rows


def rendered_plumbing(contract: Contract, shown: Mapping[str, str]) -> list[dict[str, str]]:
    """The ``what_changes`` rows (every table, topic and record touched) with the templates
    inside their text filled in."""
    return [
        {key: _filled(text, shown) for key, text in asdict(change).items()}
        for change in what_changes(contract)
    ]


def _where(step: AnyStep) -> tuple[str, str]:
    if isinstance(step, DbWriteStep):
        tables = dict.fromkeys(write_effect(s.sql).table for s in step.statements)
        return "Mirror", ", ".join(tables)
    if isinstance(step, NetSuitePushStep):
        return "NetSuite", step.record_type
    if isinstance(step, ObjectPutStep):
        return "Object store", f"{step.document_type} v{step.schema_version}"
    return "Email", "draft for your approval"


def _described(step: AnyStep) -> str:
    return step.description or f"{step.kind} step {step.id}"


def _filled(text: str, shown: Mapping[str, str]) -> str:
    try:
        return render_display(text, shown)
    except TemplateSyntaxError:
        return text
