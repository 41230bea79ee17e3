"""axe-core run inside the page under test: the serious and critical WCAG 2.x A/AA violations.

The pinned axe-core comes from scripts/ensure-axe.sh (`make test` runs it) as
.cache/axe/axe.min.js. It is evaluated through the DevTools protocol (`page.evaluate`), not
`page.add_script_tag`: the pages' CSP (`default-src 'self'`) refuses the inline `<script>`
that `add_script_tag` inserts, and evaluating keeps that CSP switched on for the page being
judged (`bypass_csp=True` would switch it off for the whole context).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from cascade.devstack.paths import repo_root

AXE_JS = repo_root() / ".cache" / "axe" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe's tags; 2.2 added only AA rules).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SERIOUS = ("serious", "critical")
RUN = """async (tags) => {
  const result = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "), summary: n.failureSummary || "",
    })),
  }));
}"""


def axe_source(path: Path = AXE_JS) -> str:
    """The axe-core script; a clear failure when it was never provisioned."""
    if not path.exists():
        raise FileNotFoundError(f"no {path}: run scripts/ensure-axe.sh (make test does)")
    return path.read_text(encoding="utf-8")


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.x A/AA violations on the page as it is now, each
    `{"id", "impact", "help", "helpUrl", "nodes": [{"target", "summary"}]}`."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())
    violations: list[dict[str, Any]] = await page.evaluate(RUN, WCAG_TAGS)
    return [v for v in violations if v["impact"] in SERIOUS]


def describe(violations: list[dict[str, Any]], limit: int = 5) -> str:
    """The violations for an assertion message: one line per rule, then its first targets."""
    if not violations:
        return "no serious or critical axe violation"
    lines = []
    for v in violations:
        lines.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} node(s))")
        for node in v["nodes"][:limit]:
            first = node["summary"].splitlines()[1:2] or [""]
            lines.append(f"    {node['target']}  {first[0].strip()}")
    return "\n".join(lines)


def rule_ids(violations: list[dict[str, Any]]) -> list[str]:
    """The violated rules' ids, sorted (what an xfail reason names)."""
    return sorted(v["id"] for v in violations)
