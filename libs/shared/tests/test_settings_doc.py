"""The README's settings table is generated from the models and every setting is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from cascade.shared.cli import GROUPS, load_group
from cascade.shared.settings_doc import (
    DEFAULT_README,
    END,
    SECRET_SHOWN,
    START,
    MarkersMissing,
    main,
    render_table,
    setting_docs,
    splice,
    undocumented,
)
from cascade.shared.startup import SETTINGS_MODELS, settings_models


class _Sample(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAMPLE_", use_attribute_docstrings=True)

    mode: Literal["a", "b"] = "a"
    """Which | mode."""
    token: SecretStr = SecretStr("hunter2")
    """A secret."""
    limit: int | None = Field(default=None, ge=1)
    """Optional limit."""
    flag: bool = False
    """A flag."""
    silent: str = ""


def _readme(tmp_path: Path, table: str = "stale") -> Path:
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\n{START}\n{table}\n{END}\n\nAfter.\n", encoding="utf-8")
    return path


def test_the_readme_table_is_what_the_models_say() -> None:
    readme = DEFAULT_README.read_text(encoding="utf-8")
    wanted = splice(readme, render_table(setting_docs(settings_models())))
    assert readme == wanted, "README settings table drifted: run `cascade settings doc --write`"


def test_every_setting_of_the_project_has_a_docstring() -> None:
    models = settings_models()
    assert len(models) == len(SETTINGS_MODELS)  # the workspace installs every package
    assert undocumented(models) == []


def test_a_field_without_a_docstring_is_reported() -> None:
    assert undocumented([_Sample]) == ["_Sample.silent"]


def test_rows_name_the_variable_type_and_default_and_hide_secrets() -> None:
    table = render_table(setting_docs([_Sample]))
    assert "| `SAMPLE_MODE` | a \\| b | `a` | Which \\| mode. | _Sample |" in table
    assert f"| `SAMPLE_TOKEN` | SecretStr | {SECRET_SHOWN} |" in table
    assert "hunter2" not in table
    assert "| `SAMPLE_LIMIT` | int \\| None | unset |" in table
    assert "| `SAMPLE_FLAG` | bool | `false` |" in table
    assert '| `SAMPLE_SILENT` | str | `""` |' in table


def test_no_default_secret_of_the_project_is_printed() -> None:
    table = render_table(setting_docs(settings_models()))
    assert "sim-consumer-secret" not in table
    assert "cascade-local-secret" not in table


def test_check_fails_on_drift_and_write_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = _readme(tmp_path)
    assert main(["doc", "--check", "--readme", str(readme)]) == 1
    assert "cascade settings doc --write" in capsys.readouterr().err
    assert main(["doc", "--write", "--readme", str(readme)]) == 0
    assert main(["doc", "--check", "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "`CASCADE_DATABASE_URL`" in text
    assert text.startswith("# Title\n")
    assert text.endswith(f"{END}\n\nAfter.\n")


def test_a_readme_without_markers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MarkersMissing):
        splice("no markers here", "table")
    readme = tmp_path / "README.md"
    readme.write_text("no markers\n", encoding="utf-8")
    assert main(["doc", "--check", "--readme", str(readme)]) == 1


def test_the_cli_has_the_settings_group() -> None:
    assert load_group(GROUPS["settings"][0]) is main
