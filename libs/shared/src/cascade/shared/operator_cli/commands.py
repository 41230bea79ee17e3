"""``cascade runs|proposals|dlq|outbox ...``: the operator's commands over the approvals API.

Each prints a table (or the API's JSON with ``--json``). Exit status: 0 done; 1 the API
refused (the error code and message on stderr: 401 for a wrong token, 404, 409 for a dead
letter already redriven, ...) or could not be reached; 2 a usage error or no usable token.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

from cascade.shared.db.statuses import ProposalStatus, RunStatus
from cascade.shared.operator_cli import tables
from cascade.shared.operator_cli.client import (
    ApiFailure,
    OperatorClient,
    TokenProblem,
    admin_token,
)
from cascade.shared.operator_cli.settings import OperatorSettings

Call = Callable[[OperatorClient, argparse.Namespace], Any]
"""One command: the API call(s) it makes; returns the answer to print."""
Show = Callable[[Any], str]
"""How one command prints its answer without `--json`."""

RUN_STATUSES = tuple(s.value for s in RunStatus)
PROPOSAL_STATUSES = tuple(s.value for s in ProposalStatus)


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the API's JSON answer")
    common.add_argument("--token-file", type=Path, help="file whose first line is the admin token")
    common.add_argument("--url", help="approvals service base URL (CASCADE_APPROVALS_URL)")
    return common


def _paging(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=50, help="at most this many (1-200)")
    parser.add_argument("--offset", type=int, default=0, help="skip this many (newest first)")


def _group(name: str, description: str) -> tuple[argparse.ArgumentParser, Any]:
    """`cascade <name>`'s parser, and the subparsers its commands are added to."""
    parser = argparse.ArgumentParser(prog=f"cascade {name}", description=description)
    return parser, parser.add_subparsers(required=True, metavar="COMMAND")


def _command(
    commands: Any, name: str, help_: str, call: Call, show: Show
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_, parents=[_common()])
    parser.set_defaults(call=call, show=show)
    return parser


def runs_parser() -> argparse.ArgumentParser:
    """`cascade runs list|show|retry`."""
    parser, commands = _group("runs", "workflow runs")
    listing = _command(commands, "list", "runs, newest first", _runs_list, tables.runs_text)
    listing.add_argument("--status", choices=RUN_STATUSES)
    listing.add_argument("--type", dest="workflow_type", help="workflow type")
    _paging(listing)
    show = _command(commands, "show", "one run, step by step", _runs_show, tables.run_text)
    show.add_argument("run_id", metavar="RUN_ID")
    retry = _command(
        commands, "retry", "retry a run's failed NetSuite pushes", _runs_retry, tables.retry_text
    )
    retry.add_argument("run_id", metavar="RUN_ID")
    retry.add_argument("--push", type=int, dest="push_id", help="only this push (its id)")
    return parser


def proposals_parser() -> argparse.ArgumentParser:
    """`cascade proposals list`."""
    parser, commands = _group("proposals", "staged proposals")
    listing = _command(
        commands, "list", "proposals, newest first", _proposals_list, tables.proposals_text
    )
    listing.add_argument("--status", choices=PROPOSAL_STATUSES)
    listing.add_argument("--run", dest="run_id", help="of this run only")
    listing.add_argument("--type", dest="action_type", help="action type")
    _paging(listing)
    return parser


def dlq_parser() -> argparse.ArgumentParser:
    """`cascade dlq list|show|redrive`."""
    parser, commands = _group("dlq", "dead-lettered records")
    listing = _command(
        commands, "list", "dead letters, newest first", _dlq_list, tables.dead_letters_text
    )
    listing.add_argument(
        "--state", choices=("pending", "redriven", "all"), default="pending",
        help="pending (not redriven yet, the default), redriven, or all",
    )  # fmt: skip
    listing.add_argument("--consumer", help="of this consumer only")
    listing.add_argument("--topic", help="of this (physical) topic only")
    _paging(listing)
    show = _command(
        commands, "show", "one dead letter and its record", _dlq_show, tables.dead_letter_text
    )
    show.add_argument("letter_id", metavar="ID", type=int)
    redrive = _command(
        commands, "redrive", "re-publish the record to its topic, once", _dlq_redrive,
        tables.redrive_text,
    )  # fmt: skip
    redrive.add_argument("letter_id", metavar="ID", type=int)
    redrive.add_argument("--reason", help="why (kept in the audit trail)")
    return parser


def outbox_parser() -> argparse.ArgumentParser:
    """`cascade outbox status`."""
    parser, commands = _group("outbox", "the transactional outbox")
    _command(
        commands, "status", "unsent rows per topic, the oldest's age", _outbox_status,
        tables.outbox_text,
    )  # fmt: skip
    return parser


def _call(
    send: Callable[[OperatorClient, str, dict[str, Any]], Any], path: str, *params: str
) -> Call:
    """The command that sends `path`, its `{option}`s filled in, with the named options as
    query parameters."""

    def call(api: OperatorClient, o: argparse.Namespace) -> Any:
        return send(api, path.format_map(vars(o)), {name: getattr(o, name) for name in params})

    return call


_PAGE = ("limit", "offset")
_runs_list = _call(OperatorClient.get, "/v1/runs", "status", "workflow_type", *_PAGE)
_runs_show = _call(OperatorClient.get, "/v1/runs/{run_id}")
_runs_retry = _call(OperatorClient.post, "/v1/runs/{run_id}/retry", "push_id")
_proposals_list = _call(
    OperatorClient.get, "/v1/proposals", "status", "run_id", "action_type", *_PAGE
)
_dlq_list = _call(OperatorClient.get, "/v1/dlq", "state", "consumer", "topic", *_PAGE)
_dlq_show = _call(OperatorClient.get, "/v1/dlq/{letter_id}")
_dlq_redrive = _call(OperatorClient.post, "/v1/dlq/{letter_id}/redrive", "reason")
_outbox_status = _call(OperatorClient.get, "/v1/outbox")


def execute(
    parser: argparse.ArgumentParser,
    argv: list[str],
    *,
    settings: OperatorSettings | None = None,
    transport: httpx.BaseTransport | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Parse `argv` with `parser`, call the API, print the answer; the exit status.
    `settings` default to the environment's; `transport` lets tests answer in-process."""
    stdout, stderr = out or sys.stdout, err or sys.stderr
    try:
        options = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    config = settings if settings is not None else OperatorSettings()
    try:
        token = admin_token(options.token_file, config)
    except TokenProblem as problem:
        print(f"{parser.prog}: {problem}", file=stderr)
        return 2
    url = options.url or config.approvals_url
    try:
        with OperatorClient(url, token, config.operator_timeout_s, transport) as api:
            answer = options.call(api, options)
    except ApiFailure as failure:
        if options.json and failure.body is not None:
            print(tables.as_json(failure.body), file=stdout)
        print(f"{parser.prog}: {failure}", file=stderr)
        return 1
    print(tables.as_json(answer) if options.json else options.show(answer), file=stdout)
    return 0


def runs(argv: list[str]) -> int:
    """`cascade runs ...`."""
    return execute(runs_parser(), argv)


def proposals(argv: list[str]) -> int:
    """`cascade proposals ...`."""
    return execute(proposals_parser(), argv)


def dlq(argv: list[str]) -> int:
    """`cascade dlq ...`."""
    return execute(dlq_parser(), argv)


def outbox(argv: list[str]) -> int:
    """`cascade outbox ...`."""
    return execute(outbox_parser(), argv)
