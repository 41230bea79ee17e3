"""`python -m cascade.mcp.tokens_cli mint|revoke|list`: Mike's tool for agent tokens.

mint NAME [--scope S ...]   prints the token once (default: every scope)
revoke NAME                 revokes every live token of NAME
list                        live tokens: name, key id, scopes, created
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from cascade.mcp.tokens import SCOPES, TokenProblem, live_tokens, mint, revoke
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.settings import Settings
from cascade.shared.startup import load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cascade.mcp.tokens_cli")
    commands = parser.add_subparsers(dest="command", required=True)
    minting = commands.add_parser("mint", help="a new token for an agent")
    minting.add_argument("name")
    minting.add_argument("--scope", action="append", choices=sorted(SCOPES))
    commands.add_parser("revoke", help="revoke an agent's tokens").add_argument("name")
    commands.add_parser("list", help="live tokens")
    return parser


async def _main(settings: Settings, args: argparse.Namespace) -> int:
    engine = build_engine(settings, application_name="cascade-mcp-tokens")
    factory = build_session_factory(engine)
    try:
        if args.command == "mint":
            try:
                token, agent = await mint(factory, args.name, args.scope or SCOPES)
            except TokenProblem as problem:
                print(f"refused: {problem}", file=sys.stderr)
                return 2
            print(token)
            print(f"agent:{agent.name} scopes: {' '.join(sorted(agent.scopes))}", file=sys.stderr)
        elif args.command == "revoke":
            print(f"revoked {await revoke(factory, args.name)} token(s) of {args.name}")
        else:
            for row in await live_tokens(factory):
                scopes = " ".join(row.scopes.get("scopes", []))
                print(f"{row.name}\t{row.key_id}\t{scopes}\t{row.created_at:%Y-%m-%d %H:%M}")
        return 0
    finally:
        await engine.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(load_settings("mcp"), _parser().parse_args())))
