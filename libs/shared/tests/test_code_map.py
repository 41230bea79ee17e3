"""The README's code map names only paths that exist, so it cannot drift silently."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

#: The short forms the code map uses, to the folders they stand for.
ROOTS = {
    "shared": "libs/shared/src/cascade/shared",
    "intake": "services/intake/src/cascade/intake",
    "runner": "services/runner/src/cascade/runner",
    "approvals": "services/approvals/src/cascade/approvals",
    "ns_pusher": "services/ns-pusher/src/cascade/ns_pusher",
    "verifier": "services/verifier/src/cascade/verifier",
    "mcp": "services/mcp/src/cascade/mcp",
    "devstack": "tools/devstack/src/cascade/devstack",
    "netsuite_sim": "tools/netsuite-sim/src/cascade/netsuite_sim",
}


def code_map_paths(readme: str) -> list[str]:
    """Every backticked path in the second column of the `## Code map` table."""
    section = readme.split("\n## Code map\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    cells = [row.split(" | ")[1] for row in rows if row.count(" | ") >= 1]
    return [path for cell in cells for path in re.findall(r"`([^`]+)`", cell)]


def resolve(path: str) -> Path:
    """`shared/outbox.py` -> the file in the repository; full paths stay as they are."""
    head, _, rest = path.partition("/")
    return REPO / ROOTS[head] / rest if head in ROOTS else REPO / path


def test_every_path_of_the_code_map_exists() -> None:
    paths = code_map_paths((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(paths) > 50  # the parse itself works
    missing = [path for path in paths if not resolve(path).exists()]
    assert missing == []


def test_a_path_that_is_gone_is_reported() -> None:
    readme = "\n## Code map\n\n| x | y |\n|---|---|\n| a | `shared/no_such.py` |\n\n## Next\n"
    assert code_map_paths(readme) == ["shared/no_such.py"]
    assert not resolve("shared/no_such.py").exists()
