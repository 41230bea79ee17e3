"""The contract's six-lane SVG, optionally coloured by each fan-out step's status."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cascade.shared.contract import Contract, render_svg

# Served as an image (<img>), so its own CSP allows the SVG's inline <style> and nothing else.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
STATUS_COLOURS = {
    "done": ("#c6f6d5", "#2f855a"),
    "applied": ("#c6f6d5", "#2f855a"),
    "failed": ("#fed7d7", "#c53030"),
    "running": ("#feebc8", "#dd6b20"),
    "awaiting_result": ("#feebc8", "#dd6b20"),
    "retrying": ("#feebc8", "#dd6b20"),
    "pending": ("#edf2f7", "#718096"),
    "skipped": ("#f7fafc", "#a0aec0"),
}
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


_CACHE: dict[tuple[str, int], str] = {}


def _plain(contract: Contract) -> str:
    # Contracts are loaded once per process, so (type, version) names one drawing.
    key = (contract.workflow_type, contract.version)
    if key not in _CACHE:
        _CACHE[key] = render_svg(contract)
    return _CACHE[key]


def contract_svg(contract: Contract, statuses: Mapping[str, str] | None = None) -> str:
    """The graph; with `statuses`, each step box is filled by its status."""
    svg = _plain(contract)
    if not statuses:
        return svg
    rules = "".join(
        f'[data-node="step:{step}"] rect{{fill:{fill};stroke:{stroke};stroke-width:3}}'
        for step, status in sorted(statuses.items())
        if _SAFE_ID.match(step) and status in STATUS_COLOURS
        for fill, stroke in [STATUS_COLOURS[status]]
    )
    return svg.replace("</style>", rules + "</style>", 1)
