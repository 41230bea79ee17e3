"""The `cascade contract` command line: exit status and what it prints."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from cascade.shared.contract.cli import default_contracts_dir, main


def test_invalid_contract_exits_1_and_names_the_problem(
    tmp_path: Path, minimal: dict[str, object], capsys: pytest.CaptureFixture[str]
) -> None:
    minimal["fan_out"][1]["needs"] = ["nowhere"]  # type: ignore[index]
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(minimal, sort_keys=False), encoding="utf-8")
    assert main(["contract", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:" in err
    assert "fan_out[1].needs[0]: unknown step 'nowhere'" in err


def test_one_invalid_file_among_valid_ones_fails_the_run(
    contracts_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = contracts_dir / "does_not_exist.yaml"
    assert main(["validate", str(contracts_dir / "new_customer.yaml"), str(missing)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_unknown_name_lists_what_exists(
    contracts_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["show", "old_customer", "--contracts-dir", str(contracts_dir)]) == 1
    assert "no contract named 'old_customer'" in capsys.readouterr().err


def test_graph_prints_svg(contracts_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", "price_changed", "--contracts-dir", str(contracts_dir)]) == 0
    root = ET.fromstring(capsys.readouterr().out.split("\n", 1)[1])  # noqa: S314 - our own output
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["additionalProperties"] is False
    kinds = json.dumps(schema["$defs"]["DbWriteStep"]["properties"]["kind"])
    assert "db_write" in kinds
    assert "d1_write" in kinds
    assert schema["$defs"]["SqlCheck"]["properties"]["window"]["type"] == "string"


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        main(["contract", "frobnicate"])
    assert caught.value.code == 2


def test_default_contracts_dir_is_the_repos(contracts_dir: Path) -> None:
    assert default_contracts_dir(contracts_dir / "..") == contracts_dir.resolve()
    assert default_contracts_dir(Path("/")) == contracts_dir.resolve()
