"""The six-lane flow graph of a contract as SVG (trigger → context + preconditions → HITL →
fan-out → post → verify): every element of the contract is a node, ``needs`` are edges.
Pure string generation; all text is escaped, long lines wrap (the full text is in each
node's tooltip), template placeholders show as names in angle quotes, never as `{{ }}`.
With `states`, each node also says how a run got on there: a class from a fixed list (the
colour), a text label (not colour alone) and the detail in its tooltip; a legend explains."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

from .graph_layout import GUTTER, MARGIN, NODE_H, NODE_W, Box, Lane, Layout, layout
from .models import Contract

_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
Status = Literal["done", "failed", "warned", "running", "waiting", "pending", "skipped"]
# Each status: the label every node in it shows, and its fill and stroke.
STATES: dict[Status, tuple[str, str, str]] = {
    "done": ("✓ done", "#c6f6d5", "#2f855a"),
    "failed": ("✗ failed", "#fed7d7", "#c53030"),
    "warned": ("! warned", "#fefcbf", "#b7791f"),
    "running": ("… running", "#feebc8", "#dd6b20"),
    "waiting": ("◐ waiting", "#e9d8fd", "#6b46c1"),
    "pending": ("○ not yet", "#edf2f7", "#718096"),
    "skipped": ("– skipped", "#f7fafc", "#a0aec0"),
}
LEGEND_H = 56


@dataclass(frozen=True)
class NodeState:
    """How a run got on at one node: its status and a detail line for the tooltip."""

    status: Status
    detail: str = ""
    note: str = ""  # shown after the label on the node itself (e.g. who approved, when)


_LANE_NOTES = {
    "trigger": "How a run is started",
    "context": "Read-only queries and rules, before any write",
    "hitl": "The approver decides before any side effect",
    "fan_out": "Side effects; steps without needs run concurrently",
    "post": "At the end of every run, once",
    "verify": "Delayed checks that the effects stuck",
}
_STYLE = (
    """
.lane{fill:#f6f7f9;stroke:#d9dde3}
.lane-group text{stroke:none}
.lane-label{font:600 14px sans-serif;fill:#1f2933}
.lane-note{font:12px sans-serif;fill:#52606d}
.node rect{stroke-width:1.5;rx:8;ry:8}
.node .title{font:600 13px sans-serif;fill:#102a43}
.node .line{font:11.5px sans-serif;fill:#334e68}
.trigger rect{fill:#e3f8ff;stroke:#2bb0ed}
.context rect{fill:#e6f6ff;stroke:#4098d7}
.rule rect{fill:#fffbea;stroke:#f0b429}
.hitl rect{fill:#fff3f3;stroke:#e12d39}
.step rect{fill:#effcf6;stroke:#3ebd93}
.post rect{fill:#f0f4f8;stroke:#829ab1}
.verify rect{fill:#f2ebfe;stroke:#8662c7}
.dashed rect{stroke-dasharray:6 4;fill:#ffffff}
.edge{fill:none;stroke:#486581;stroke-width:1.5}
.flow{stroke:#9aa5b1;stroke-width:2}
.node .state{font:600 11.5px sans-serif;fill:#102a43}
.legend text{font:12px sans-serif;fill:#1f2933}
.legend .legend-title{font:600 13px sans-serif}
""".strip()
    + "".join(
        f"\n.st-{name} rect{{fill:{fill};stroke:{stroke};stroke-width:3;stroke-dasharray:none}}"
        for name, (_, fill, stroke) in STATES.items()
    )
)


def render_svg(contract: Contract, states: Mapping[str, NodeState] | None = None) -> str:
    """The flow graph of ``contract`` as a standalone SVG document; with ``states`` (by node
    key, e.g. ``step:write_ns``) coloured and labelled by a run, with a legend."""
    plan = layout(contract)
    height = plan.height + (LEGEND_H if states is not None else 0)
    boxes = {box.key: box for lane in plan.lanes for box in lane.boxes}
    parts = [_header(contract, plan, height)]
    parts += [_lane(lane, plan.width) for lane in plan.lanes]
    parts += [_flow(upper, lower) for upper, lower in zip(plan.lanes, plan.lanes[1:], strict=False)]
    parts += [_edge(boxes[f"step:{a}"], boxes[f"step:{b}"], a, b) for a, b in plan.edges]
    parts += [_box(box, None if states is None else states.get(box.key)) for box in boxes.values()]
    if states is not None:
        parts.append(_legend(plan.height - MARGIN // 2))
    parts.append("</svg>\n")
    return "\n".join(parts)


def readable(text: str) -> str:
    """A contract's text with each `{{ name }}` placeholder shown as the name in angle quotes."""
    return _PLACEHOLDER.sub(lambda m: f"‹{m.group(1)}›", text)


def xml_text(text: str) -> str:
    """Text safe inside an XML element or a double-quoted attribute."""
    return escape(_INVALID_XML.sub("\ufffd", text), {'"': "&quot;"})


def _header(contract: Contract, plan: Layout, height: int) -> str:
    title = f"{contract.title} ({contract.workflow_type}) — workflow flow"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{plan.width}" height="{height}" '
        f'viewBox="0 0 {plan.width} {height}" role="img">\n'
        f"<title>{xml_text(title)}</title>\n<style>{_STYLE}</style>\n"
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#486581"/></marker></defs>\n'
        f'<rect width="{plan.width}" height="{height}" fill="#ffffff"/>'
    )


def _lane(lane: Lane, width: int) -> str:
    label = _wrap(lane.label, 20)
    note = _wrap(_LANE_NOTES[lane.key], 24)
    texts = [("lane-label", line, 26 + 18 * i) for i, line in enumerate(label)]
    top = 26 + 18 * len(label) + 4
    texts += [("lane-note", line, top + 16 * i) for i, line in enumerate(note)]
    body = "".join(
        f'<text class="{cls}" x="{MARGIN}" y="{lane.y + dy}">{xml_text(line)}</text>'
        for cls, line, dy in texts
    )
    return (
        f'<g class="lane-group" data-lane="{lane.key}">'
        f'<rect class="lane" x="{MARGIN // 2}" y="{lane.y}" width="{width - MARGIN}" '
        f'height="{lane.height}" rx="10"/>{body}</g>'
    )


def _flow(upper: Lane, lower: Lane) -> str:
    x = GUTTER + MARGIN + NODE_W // 2
    return (
        f'<line class="flow" x1="{x}" y1="{upper.y + upper.height - 6}" x2="{x}" '
        f'y2="{lower.y + 8}" marker-end="url(#arrow)"/>'
    )


def _edge(source: Box, target: Box, source_id: str, target_id: str) -> str:
    x1, y1 = source.x + NODE_W, source.y + NODE_H // 2
    x2, y2 = target.x - 2, target.y + NODE_H // 2
    bend = max(24, (x2 - x1) // 2)
    return (
        f'<path class="edge" data-edge="{xml_text(source_id)}->{xml_text(target_id)}" '
        f'd="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}" marker-end="url(#arrow)"/>'
    )


def _box(box: Box, state: NodeState | None = None) -> str:
    classes = f"node {box.style}" + (" dashed" if box.dashed else "")
    title_lines = _wrap(readable(box.title), TITLE_CHARS)[:2] or [""]
    budget = DETAIL_LINES + 2 - len(title_lines)
    details = [w for line in box.lines for w in _wrap(readable(line), LINE_CHARS)]
    if len(details) > budget:
        details = [*details[: budget - 1], _cut(details[budget - 1] + " …", LINE_CHARS)]
    tooltip = [readable(box.title), *(readable(line) for line in box.lines)]
    label = ""
    if state is not None:
        classes += f" st-{state.status}"
        text = STATES[state.status][0]
        tooltip.append(f"{text}" + (f": {state.detail}" if state.detail else ""))
        shown = _cut(f"{text} · {state.note}" if state.note else text, LINE_CHARS)
        label = (
            f'<text class="state" x="{box.x + 10}" y="{box.y + NODE_H - 10}">'
            f"{xml_text(shown)}</text>"
        )
    texts = "".join(
        f'<text class="title" x="{box.x + 10}" y="{box.y + 20 + 16 * i}">{xml_text(line)}</text>'
        for i, line in enumerate(title_lines)
    )
    top = box.y + 20 + 16 * len(title_lines) + 2
    texts += "".join(
        f'<text class="line" x="{box.x + 10}" y="{top + 14 * i}">{xml_text(line)}</text>'
        for i, line in enumerate(details)
    )
    return (
        f'<g class="{classes}" data-node="{xml_text(box.key)}" tabindex="0">'
        f"<title>{xml_text(chr(10).join(tooltip))}</title>"
        f'<rect x="{box.x}" y="{box.y}" width="{NODE_W}" height="{NODE_H}"/>'
        f"{texts}{label}</g>"
    )


def _legend(top: int) -> str:
    items = []
    x = MARGIN + 70
    for name, (text, _, _) in STATES.items():
        items.append(
            f'<g class="st-{name}"><rect x="{x}" y="{top + 14}" width="16" height="16" rx="3"/>'
            f'<text x="{x + 22}" y="{top + 27}">{xml_text(text)}</text></g>'
        )
        x += 22 + 9 * len(text) + 24
    return (
        f'<g class="legend" data-legend="run"><text class="legend-title" x="{MARGIN}" '
        f'y="{top + 27}">Legend</text>{"".join(items)}</g>'
    )


TITLE_CHARS, LINE_CHARS, DETAIL_LINES = 30, 38, 4


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for whole in text.split():
        # A word longer than a line (a URL, an SQL token) is broken rather than overflowing.
        for word in [whole[i : i + width] for i in range(0, len(whole), width)]:
            if lines and len(lines[-1]) + len(word) < width:
                lines[-1] += f" {word}"
            else:
                lines.append(word)
    return lines
