"""Where everything goes in the six-lane flow graph (pure geometry, no SVG)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from .durations import format_duration
from .models import AnyStep, Contract
from .plan import levels, needs_map
from .sections import HttpCheck, ObjectCheck, SqlCheck
from .sqlinfo import read_tables, write_effect
from .steps import DbWriteStep, EmailDraftStep, NetSuitePushStep, ObjectPutStep

GUTTER, MARGIN, NODE_W, NODE_H = 190, 24, 260, 124
GAP_X, GAP_Y, FANOUT_GAP_X, LANE_PAD, PER_ROW = 20, 14, 56, 20, 4
LANES = (
    ("trigger", "01 / Trigger"),
    ("context", "02 / Context + preconditions"),
    ("hitl", "03 / HITL gate"),
    ("fan_out", "04 / Fan-out"),
    ("post", "05 / Post actions"),
    ("verify", "06 / Verify"),
)


@dataclass(frozen=True)
class Box:
    """One node: an id, a bold title, up to two detail lines and a full-text tooltip."""

    key: str
    title: str
    lines: tuple[str, ...]
    style: str
    x: int = 0
    y: int = 0
    dashed: bool = False


@dataclass
class Lane:
    """One horizontal lane with its nodes."""

    key: str
    label: str
    y: int = 0
    height: int = 0
    boxes: list[Box] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """The whole picture: lanes, fan-out edges (needs) and canvas size."""

    lanes: list[Lane]
    edges: list[tuple[str, str]]
    width: int
    height: int


def layout(contract: Contract) -> Layout:
    """Place every element of the contract in its lane."""
    contents = {
        "trigger": _trigger(contract),
        "context": _context(contract),
        "hitl": [_hitl(contract)],
        "post": _post(contract),
        "verify": _verify(contract),
    }
    lanes, y, width = [], MARGIN, 0
    for key, label in LANES:
        boxes = _place_fan_out(contract, y) if key == "fan_out" else _place_rows(contents[key], y)
        lane = Lane(key, label, y, _lane_height(boxes, y), boxes)
        lanes.append(lane)
        width = max([width, *(b.x + NODE_W for b in boxes)])
        y += lane.height + GAP_Y
    edges = [(dep, step.id) for step in contract.fan_out for dep in step.needs]
    return Layout(lanes, edges, width + MARGIN, y - GAP_Y + MARGIN)


def _lane_height(boxes: list[Box], top: int) -> int:
    bottom = max((b.y + NODE_H for b in boxes), default=top + NODE_H)
    return max(bottom - top + LANE_PAD, NODE_H + 2 * LANE_PAD)


def _place_rows(boxes: list[Box], top: int) -> list[Box]:
    placed = []
    for index, box in enumerate(boxes):
        row, column = divmod(index, PER_ROW)
        x = GUTTER + MARGIN + column * (NODE_W + GAP_X)
        y = top + LANE_PAD + row * (NODE_H + GAP_Y)
        placed.append(replace(box, x=x, y=y))
    return placed


def _place_fan_out(contract: Contract, top: int) -> list[Box]:
    depth = levels(needs_map(contract.fan_out))
    rows: dict[int, int] = {}
    placed = []
    for step in contract.fan_out:
        level = depth.get(step.id, 0)
        row = rows[level] = rows.get(level, -1) + 1
        x = GUTTER + MARGIN + level * (NODE_W + FANOUT_GAP_X)
        y = top + LANE_PAD + row * (NODE_H + GAP_Y)
        placed.append(replace(_step_box(step), x=x, y=y))
    return placed


def _trigger(contract: Contract) -> list[Box]:
    trigger = contract.trigger
    lines = [f"sources: {', '.join(trigger.sources)}", f"invoker: {trigger.invoker}"]
    # The box holds three lines: what says most about this kind of trigger, then the risk.
    if trigger.schedule:
        lines = [f"schedule: {trigger.schedule} UTC", f"catch_up: {trigger.catch_up_policy}"]
    elif trigger.inputs_from:
        lines = [lines[0], f"maps {len(trigger.inputs_from)} inputs from the event"]
    lines.append(f"risk {contract.risk_level} · {contract.risk_label}")
    return [Box("trigger", f"{trigger.kind} trigger", tuple(lines[-3:]), "trigger")]


def _context(contract: Contract) -> list[Box]:
    queries = [
        Box(f"context:{q.name}", q.name, (f"query · {q.returns}", ", ".join(q.tables)), "context")
        for q in contract.context
    ]
    rules = [
        Box(f"rule:{p.name}", p.name, (f"[{p.severity}] precondition", p.rule), "rule")
        for p in contract.preconditions
    ]
    return queries + rules


def _hitl(contract: Contract) -> Box:
    hitl = contract.hitl
    if hitl is None or not contract.requires_approval:
        return Box(
            "hitl", "no approval gate", (f"risk {contract.risk_level} < 3",), "hitl", dashed=True
        )
    lines = (
        f"{hitl.action_type} · risk {contract.risk_level} ≥ {hitl.risk_gate}",
        f"window {_d(hitl.approval_window)} · expires {_d(hitl.expires_after)}",
    )
    return Box("hitl", f"{hitl.approver} approves", lines, "hitl")


def _step_box(step: AnyStep) -> Box:
    if isinstance(step, DbWriteStep):
        detail = "; ".join(_write_summary(s.sql) for s in step.statements)
    elif isinstance(step, NetSuitePushStep):
        detail = f"{step.record_type} via {step.queue}"
    elif isinstance(step, EmailDraftStep):
        detail = f"draft to {step.to}"
    elif isinstance(step, ObjectPutStep):
        detail = f"PUT {step.key} (v{step.schema_version}, sha256)"
    return Box(f"step:{step.id}", step.id, (f"{step.kind} → {step.target}", detail), "step")


def _write_summary(sql: str) -> str:
    effect = write_effect(sql)
    return f"{effect.action} {effect.table}"


def _post(contract: Contract) -> list[Box]:
    plan = contract.post_plan()
    boxes = [Box("post:log_run", "log_run", (plan.log_run.table, "always"), "post")]
    if plan.reflexion is not None:
        tags = ", ".join(plan.reflexion.tags)
        boxes.append(Box("post:reflexion", "reflexion", ("reflexion_log", f"tags: {tags}"), "post"))
    types = " | ".join(plan.event.types)
    lines = ("workflow.<type>, one per run", types, f"key {plan.event.idempotency_key}")
    boxes.append(Box("post:event", "event", lines, "post"))
    return boxes


def _verify(contract: Contract) -> list[Box]:
    boxes = []
    for check in contract.verify:
        until = f" · until {_d(check.retry_until)}" if check.retry_until else ""
        if isinstance(check, SqlCheck):
            detail = (
                f"reads {', '.join(sorted(read_tables(check.sql)))}",
                " ".join(check.sql.split()),
            )
        elif isinstance(check, HttpCheck):
            detail = (f"{check.method} {check.system}", check.path)
        elif isinstance(check, ObjectCheck):
            version = f", schema_version {check.schema_version}" if check.schema_version else ""
            detail = (f"object store: exists, sha256 matches{version}", check.key)
        if check.repair is not None:
            # The repair is what Mike will be asked to approve when the check fails.
            detail = (detail[0], f"repair: re-run {', '.join(check.repair.rerun)} (approved)")
        lines = (f"{check.kind} · after {_d(check.window)}{until}", *detail)
        boxes.append(Box(f"verify:{check.name}", check.name, lines, "verify"))
    return boxes


def _d(value: timedelta) -> str:
    return format_duration(value)
