"""`python -m cascade.devstack ...`: the local stack's command line.

Each command group registers its own subparser and sets `handler` (args -> exit code), so
new groups (`up`, `down`, `prepare`, ...) plug in with one `register_*` call.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cascade.devstack.infra import register_infra_commands
from cascade.devstack.stack import register_stack_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cascade.devstack", description="Run Cascade's local stack."
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    register_infra_commands(subparsers)
    register_stack_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (RuntimeError, TimeoutError) as exc:
        print(f"devstack: error: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
