"""The contract's six-lane SVG, optionally showing how one run got on at every node."""

from __future__ import annotations

from collections.abc import Mapping

from cascade.shared.contract import Contract, NodeState, render_svg

# Served as an image (<img>), so its own CSP allows the SVG's inline <style> and nothing else.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

_CACHE: dict[tuple[str, int], str] = {}


def _plain(contract: Contract) -> str:
    # Contracts are loaded once per process, so (type, version) names one drawing.
    key = (contract.workflow_type, contract.version)
    if key not in _CACHE:
        _CACHE[key] = render_svg(contract)
    return _CACHE[key]


def contract_svg(contract: Contract, states: Mapping[str, NodeState] | None = None) -> str:
    """The graph; with `states` (see `run_graph.node_states`) every node shows the run's
    status in colour and in words, with a legend. Statuses are a fixed list and every text
    is XML-escaped by the renderer, so nothing from the database reaches the SVG raw."""
    return _plain(contract) if states is None else render_svg(contract, states)
