"""The flow graph: valid XML, six lanes, every element of the contract, `needs` edges."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cascade.shared.contract import Contract, load_contract, render_svg

SVG = "{http://www.w3.org/2000/svg}"
LANES = ["trigger", "context", "hitl", "fan_out", "post", "verify"]
REPO = Path(__file__).resolve().parents[4]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.encode("utf-8"))  # noqa: S314 - our own output


def _nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-node"]: g for g in root.iter(f"{SVG}g") if "data-node" in g.attrib}


@pytest.fixture
def new_customer(contracts_dir: Path) -> Contract:
    return load_contract(contracts_dir / "new_customer.yaml")


def test_svg_has_six_lanes_in_order(new_customer: Contract) -> None:
    root = _parse(render_svg(new_customer))
    lanes = [g.attrib["data-lane"] for g in root.iter(f"{SVG}g") if "data-lane" in g.attrib]
    assert lanes == LANES
    labels = [t.text for t in root.iter(f"{SVG}text") if t.attrib.get("class") == "lane-label"]
    assert labels[0] == "01 / Trigger"
    assert "06 / Verify" in labels


def test_every_element_is_a_node(new_customer: Contract) -> None:
    nodes = _nodes(_parse(render_svg(new_customer)))
    expected = {"trigger", "hitl", "post:log_run", "post:reflexion", "post:event"}
    expected |= {f"step:{s.id}" for s in new_customer.fan_out}
    expected |= {f"context:{q.name}" for q in new_customer.context}
    expected |= {f"rule:{p.name}" for p in new_customer.preconditions}
    expected |= {f"verify:{v.name}" for v in new_customer.verify}
    assert set(nodes) == expected
    for step in new_customer.fan_out:
        assert step.id in "".join(nodes[f"step:{step.id}"].itertext())


def test_needs_are_edges(new_customer: Contract) -> None:
    root = _parse(render_svg(new_customer))
    edges = {p.attrib["data-edge"] for p in root.iter(f"{SVG}path") if "data-edge" in p.attrib}
    assert edges == {
        "write_d1->write_ns",
        "write_d1->assign_programs",
        "write_ns->welcome_email",
        "write_ns->first_quote_context",
        "assign_programs->first_quote_context",
    }


def test_nodes_do_not_overlap(new_customer: Contract) -> None:
    rects = [
        tuple(float(r.attrib[k]) for k in ("x", "y", "width", "height"))
        for g in _nodes(_parse(render_svg(new_customer))).values()
        for r in g.iter(f"{SVG}rect")
    ]
    for i, (x1, y1, w1, h1) in enumerate(rects):
        for x2, y2, w2, h2 in rects[i + 1 :]:
            assert x1 + w1 <= x2 or x2 + w2 <= x1 or y1 + h1 <= y2 or y2 + h2 <= y1


def test_text_is_escaped(
    minimal: dict[str, Any], parse: Callable[[dict[str, Any]], Contract]
) -> None:
    minimal["title"] = 'Fish & <Chips> "Ltd"'
    minimal["preconditions"][0]["rule"] = "name <> '</text><script>x</script>'"
    svg = render_svg(parse(minimal))
    root = _parse(svg)
    assert "<script>" not in svg
    assert root.find(f"{SVG}title").text.startswith('Fish & <Chips> "Ltd"')  # type: ignore[union-attr]
    rule = _nodes(root)["rule:new"]
    assert "name <> '</text><script>" in "".join(rule.itertext())


def test_no_gate_is_shown_for_low_risk(contracts_dir: Path) -> None:
    nodes = _nodes(_parse(render_svg(load_contract(contracts_dir / "price_changed.yaml"))))
    assert "no approval gate" in "".join(nodes["hitl"].itertext())


def test_write_new_customer_flow_artifact(new_customer: Contract) -> None:
    """Writes test-artifacts/new_customer-flow.svg (git-ignored) for people to look at."""
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    path = artifacts / "new_customer-flow.svg"
    path.write_text(render_svg(new_customer), encoding="utf-8")
    ET.parse(path)  # noqa: S314 - written just above
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )
    if chromium:
        png = artifacts / "new_customer-flow.png"
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}",
             "--window-size=1300,1100", path.as_uri()],
            check=False, capture_output=True, timeout=60,
        )  # fmt: skip


def test_run_states_label_every_node_with_a_legend(new_customer: Contract) -> None:
    from cascade.shared.contract import NodeState

    states = {"hitl": NodeState("done", "approved by mike", "approved by mike 09:02 UTC"),
              "step:write_ns": NodeState("failed", 'NetSuite said <no> & "why"')}  # fmt: skip
    svg = render_svg(new_customer, states)
    root = _parse(svg)
    nodes = _nodes(root)
    assert "st-failed" in nodes["step:write_ns"].attrib["class"]
    assert "✗ failed" in "".join(nodes["step:write_ns"].itertext())
    assert "✓ done · approved by mike 09:02 UTC" in "".join(nodes["hitl"].itertext())
    tooltip = nodes["step:write_ns"].find(f"{SVG}title")
    assert tooltip is not None
    assert 'NetSuite said <no> & "why"' in (tooltip.text or "")
    legend = [g for g in root.iter(f"{SVG}g") if g.attrib.get("data-legend") == "run"]
    assert legend
    assert "○ not yet" in "".join(legend[0].itertext())
    assert "{{" not in svg
    assert "‹contact_email›" in svg


def test_node_text_wraps_instead_of_being_cut(new_customer: Contract) -> None:
    rule = _nodes(_parse(render_svg(new_customer)))["rule:no_duplicate"]
    shown = " ".join(t.text or "" for t in rule.iter(f"{SVG}text"))
    assert "existing_by_name IS NULL AND" in shown
    assert "existing_by_email IS NULL" in shown
    assert "…" not in shown
