"""Services talk only through topics: a service's code imports `cascade.shared` and its own
package, never another service's (what two services both need lives in libs/shared)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SERVICES = REPO / "services"


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_service_imports_another_service() -> None:
    packages = {p.name for p in SERVICES.glob("*/src/cascade/*") if p.is_dir()}
    assert {"intake", "runner", "mcp"} <= packages  # the scan itself finds the services
    crossings: list[str] = []
    for service_src in SERVICES.glob("*/src/cascade/*"):
        own = service_src.name
        for path in service_src.rglob("*.py"):
            for module in _imported(path):
                parts = module.split(".")
                if parts[0] == "cascade" and len(parts) > 1 and parts[1] in packages - {own}:
                    crossings.append(f"{path.relative_to(REPO)} imports {module}")
    assert crossings == []
