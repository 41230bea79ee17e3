"""Load contracts from YAML: parse, validate the shape (pydantic), then the cross-references.

Every problem becomes an ``Issue`` naming the file, the line, the path inside the document and
what was expected; ``ContractError`` carries all of them, so one run shows every mistake.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .checks import Problem
from .errors import ContractError, Issue, format_path
from .explain import problems_from
from .models import Contract
from .semantics import check_contract
from .yamlsource import YamlDocument, YamlError, read_yaml

CONTRACT_SUFFIX = ".yaml"


def parse_contract(
    text: str, source: str = "<string>", expected_name: str | None = None
) -> Contract:
    """Parse and fully validate one contract document; raises ContractError.

    ``expected_name``: the workflow_type the document must declare (its file name).
    """
    document = _read(text, source)
    try:
        contract = Contract.model_validate(document.data)
    except ValidationError as error:
        problems = problems_from(error, document.data, Contract)
        raise ContractError(_issues(source, document, problems)) from None
    problems = check_contract(contract)
    if expected_name is not None and contract.workflow_type != expected_name:
        got = contract.workflow_type
        message = f"expected workflow_type {expected_name!r} (the file name), got {got!r}"
        problems.insert(0, Problem(("workflow_type",), message))
    if problems:
        raise ContractError(_issues(source, document, problems))
    return contract


def _read(text: str, source: str) -> YamlDocument:
    try:
        document = read_yaml(text)
    except YamlError as error:
        raise ContractError([Issue(source, "", f"invalid YAML: {error}", error.line)]) from None
    if not isinstance(document.data, dict):
        raise ContractError([Issue(source, "", "expected a mapping at the top of the document")])
    return document


def load_contract(path: Path) -> Contract:
    """Read and validate a contract file; its workflow_type must equal the file's stem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContractError([Issue(str(path), "", f"cannot read: {error.strerror}")]) from None
    return parse_contract(text, str(path), expected_name=path.stem)


def contract_path(name: str, directory: Path) -> Path:
    """The file of contract ``name`` in ``directory``; raises ContractError if there is none."""
    path = directory / f"{name}{CONTRACT_SUFFIX}"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob(f"*{CONTRACT_SUFFIX}"))) or "none"
        message = f"no contract named {name!r} in {directory} (available: {known})"
        raise ContractError([Issue(str(path), "", message)])
    return path


def load_contracts(directory: Path) -> dict[str, Contract]:
    """Every contract in a directory by workflow_type; raises one ContractError for all files."""
    contracts: dict[str, Contract] = {}
    issues: list[Issue] = []
    for path in sorted(directory.glob(f"*{CONTRACT_SUFFIX}")):
        try:
            contracts[path.stem] = load_contract(path)
        except ContractError as error:
            issues.extend(error.issues)
    if issues:
        raise ContractError(issues)
    return contracts


def _issues(source: str, document: YamlDocument, problems: list[Problem]) -> list[Issue]:
    return [
        Issue(source, format_path(p.path), p.message, document.line_of(p.path)) for p in problems
    ]
