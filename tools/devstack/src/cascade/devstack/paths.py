"""Where the devstack keeps its state.

Everything a local stack writes lives inside the repository (git-ignored), so two checkouts
never share a database or a broker by accident and `rm -rf .cascade` is a full reset.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from cascade.devstack.settings import DevstackSettings

#: "dev" backs `make up`, "test" backs `make test`; other names are allowed so that, e.g.,
#: an e2e run can get its own isolated stack.
KNOWN_PROFILES = ("dev", "test")

_PROFILE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def _is_workspace_root(folder: Path) -> bool:
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return False
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return False
    tool = data.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
    # Member packages have their own pyproject.toml; only the root declares the workspace.
    return isinstance(uv, dict) and "workspace" in uv


def _find_root_above(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if _is_workspace_root(folder):
            return folder
    return None


def repo_root() -> Path:
    """The folder holding the root pyproject.toml (the one with `[tool.uv.workspace]`).

    `CASCADE_HOME` wins, so a stack can be pointed elsewhere (e.g. CI's fresh clone).
    Otherwise walk up from the current directory, then from this file (for an installed
    package run from outside the tree).
    """
    home = DevstackSettings().home
    if home is not None:
        return home.expanduser().resolve()
    for start in (Path.cwd(), Path(__file__).resolve().parent):
        found = _find_root_above(start.resolve())
        if found is not None:
            return found
    raise RuntimeError(
        "cannot find the Cascade repository root (a pyproject.toml with [tool.uv.workspace]) "
        "above the current directory; run from inside the checkout or set CASCADE_HOME"
    )


def check_profile(profile: str) -> str:
    """Validate a profile name: it becomes a folder name, so keep it boring."""
    if not _PROFILE_RE.match(profile):
        raise ValueError(f"invalid profile name {profile!r} (expected e.g. 'dev' or 'test')")
    return profile


def state_dir(profile: str) -> Path:
    """`<root>/.cascade/<profile>`: data, pidfiles, logs and stack.env of one stack."""
    return repo_root() / ".cascade" / check_profile(profile)


def logs_dir(profile: str) -> Path:
    return state_dir(profile) / "logs"


def cache_dir() -> Path:
    """`<root>/.cache`: downloads shared by all profiles (e.g. the Kafka jars)."""
    return repo_root() / ".cache"
