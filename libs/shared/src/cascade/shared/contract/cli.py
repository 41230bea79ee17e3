"""``cascade contract ...``: validate contracts, show one, draw its flow graph, print the schema.

Exit status: 0 when every contract is valid, 1 when any is not (each problem printed on stderr
as ``file:line: path: message``), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from .errors import ContractError
from .graph import render_svg
from .loader import contract_path, load_contract
from .models import Contract
from .schema import contract_json_schema
from .show import contract_document, contract_text


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; ``argv`` may start with ``contract`` (as under the ``cascade`` script)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["contract"]:
        args = args[1:]
    options = _parser().parse_args(args)
    try:
        return int(options.run(options, sys.stdout))
    except ContractError as error:
        print(error, file=sys.stderr)
        return 1


def default_contracts_dir(start: Path | None = None) -> Path:
    """``<repo>/contracts``: the nearest ``contracts`` folder above the working directory,
    else the one of the repository this package lives in."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "contracts").is_dir() and (folder / "pyproject.toml").is_file():
            return folder / "contracts"
    return Path(__file__).resolve().parents[6] / "contracts"


def _validate(options: argparse.Namespace, out: TextIO) -> int:
    failed = 0
    for path in options.paths:
        try:
            contract = load_contract(Path(path))
        except ContractError as error:
            print(error, file=sys.stderr)
            failed += 1
            continue
        steps = len(contract.fan_out)
        print(f"{path}: ok ({contract.workflow_type}, {steps} step{'s' * (steps != 1)})", file=out)
    return 1 if failed else 0


def _named(options: argparse.Namespace) -> Contract:
    directory = Path(options.contracts_dir) if options.contracts_dir else default_contracts_dir()
    return load_contract(contract_path(options.name, directory))


def _show(options: argparse.Namespace, out: TextIO) -> int:
    contract = _named(options)
    if options.format == "json":
        out.write(json.dumps(contract_document(contract), indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(contract_text(contract))
    return 0


def _graph(options: argparse.Namespace, out: TextIO) -> int:
    out.write(render_svg(_named(options)))
    return 0


def _schema(options: argparse.Namespace, out: TextIO) -> int:
    out.write(json.dumps(contract_json_schema(), indent=2) + "\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cascade contract", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    validate = commands.add_parser("validate", help="validate contract files")
    validate.add_argument("paths", nargs="+", metavar="PATH")
    validate.set_defaults(run=_validate)
    named = argparse.ArgumentParser(add_help=False)
    named.add_argument("name", metavar="NAME", help="workflow type, e.g. new_customer")
    named.add_argument("--contracts-dir", help="folder of contracts (default <repo>/contracts)")
    show = commands.add_parser("show", parents=[named], help="show one contract")
    show.add_argument("--format", choices=["text", "json"], default="text")
    show.set_defaults(run=_show)
    graph = commands.add_parser("graph", parents=[named], help="flow graph as SVG on stdout")
    graph.set_defaults(run=_graph)
    schema = commands.add_parser("schema", help="JSON Schema of the contract format")
    schema.set_defaults(run=_schema)
    return parser
