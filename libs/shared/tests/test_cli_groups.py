"""The `cascade` entry point: groups dispatch, unknown ones are refused with status 2."""

from __future__ import annotations

import pytest

from cascade.shared.cli import GROUPS, load_group, main


def test_contract_group_dispatches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "schema"]) == 0
    assert '"properties"' in capsys.readouterr().out


def test_unknown_group_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err


def test_no_group_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert all(name in err for name in GROUPS)


def test_every_group_target_imports() -> None:
    for target, _ in GROUPS.values():
        assert callable(load_group(target))
