"""``cascade <group> ...``: the one command-line entry point; each group lives in its own module.

Groups are imported only when named, so ``cascade contract validate`` does not load Kafka or
database clients. Exit status is the group's; 2 for an unknown group.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

# group -> "module:function"; the function takes the arguments after the group name and
# returns the exit status.
GROUPS: dict[str, tuple[str, str]] = {
    "admin": ("cascade.shared.topic_admin.cli:main", "topics plan|apply: the Kafka topics"),
    "contract": ("cascade.shared.contract.cli:main", "validate, show, graph contracts"),
    "runs": ("cascade.shared.operator_cli.commands:runs", "list, show, retry runs"),
    "proposals": ("cascade.shared.operator_cli.commands:proposals", "list proposals"),
    "dlq": ("cascade.shared.operator_cli.commands:dlq", "list, show, redrive dead letters"),
    "outbox": ("cascade.shared.operator_cli.commands:outbox", "the outbox's backlog"),
    "asyncapi": ("cascade.shared.asyncapi:main", "print, check or write docs/asyncapi.json"),
    "settings": ("cascade.shared.settings_doc:main", "the README's settings table (doc)"),
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``argv`` (default ``sys.argv[1:]``) to the group its first word names."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_usage(), file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    group = GROUPS.get(args[0])
    if group is None:
        print(f"cascade: unknown command {args[0]!r}\n{_usage()}", file=sys.stderr)
        return 2
    return load_group(group[0])(args[1:])


def load_group(target: str) -> Callable[[list[str]], int]:
    """The function a ``"module:function"`` target names (imported now)."""
    module, _, function = target.partition(":")
    loaded: Callable[[list[str]], int] = getattr(importlib.import_module(module), function)
    return loaded


def _usage() -> str:
    lines = ["usage: cascade COMMAND ...", "", "commands:"]
    lines += [f"  {name:<10} {about}" for name, (_, about) in sorted(GROUPS.items())]
    return "\n".join(lines)
