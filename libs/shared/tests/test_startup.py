"""Unit tests of the start-up checks: unknown variables, production mode. No IO."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr

from cascade.shared.settings import Settings
from cascade.shared.startup import (
    SETTINGS_MODELS,
    Role,
    check_settings,
    known_variables,
    production_problems,
    unknown_variables,
)

REPO = Path(__file__).resolve().parents[3]

#: Misspellings the tests use on purpose; nothing else in the repository may be unknown.
DELIBERATELY_UNKNOWN = {
    "CASCADE_DATABSE_URL",
    "CASCADE_ADMIN_TOKN",
    "CASCADE_NO_SUCH_THING",
    "CASCADE_NETSUITE_SIM_PROT",
}

#: A production configuration with nothing to refuse.
GOOD_PRODUCTION = {
    "env": "production",
    "netsuite_base_url": "https://1234567.suitetalk.api.netsuite.com",
    "netsuite_account_id": "1234567",
    "netsuite_consumer_key": SecretStr("ck"),
    "netsuite_consumer_secret": SecretStr("cs"),
    "netsuite_token_id": SecretStr("ti"),
    "netsuite_token_secret": SecretStr("ts"),
    "admin_token": SecretStr("x" * 43),
}


def test_a_misspelled_variable_is_named_with_the_closest_known_one() -> None:
    environ = {
        "CASCADE_DATABSE_URL": "postgresql+asyncpg://elsewhere/db",
        "CASCADE_DATABASE_URL": "postgresql+asyncpg://here/db",
        "PATH": "/usr/bin",
    }
    assert unknown_variables(environ, known_variables()) == [
        "CASCADE_DATABSE_URL is not a Cascade setting; did you mean CASCADE_DATABASE_URL?"
    ]


def test_lower_case_counts_too_and_far_names_get_no_suggestion() -> None:
    # pydantic-settings reads names case-insensitively, so a lower-case typo is a typo too.
    environ = {"cascade_admin_tokn": "t", "CASCADE_NO_SUCH_THING": "1", "cascade_admin_token": "t"}
    assert unknown_variables(environ, known_variables()) == [
        "CASCADE_NO_SUCH_THING is not a Cascade setting",
        "cascade_admin_tokn is not a Cascade setting; did you mean CASCADE_ADMIN_TOKEN?",
    ]


def test_the_registry_holds_the_names_of_every_settings_model() -> None:
    known = known_variables()
    for name in (
        "CASCADE_DATABASE_URL",  # Settings
        "CASCADE_ENV",
        "CASCADE_ADMIN_PASSWORD_HASH",  # approvals' UiSettings
        "CASCADE_UI_INSECURE_COOKIES",
        "CASCADE_HOME",  # devstack
        "CASCADE_DEVSTACK_PG_PORT",
        "CASCADE_DEVSTACK_KAFKA_PORT",
        "CASCADE_DEVSTACK_KAFKA_CONTROLLER_PORT",
        "CASCADE_PROBE_PORT",
        "CASCADE_DB_PASSWORD",  # docker-compose.yml's interpolation
    ):
        assert name in known, name


def _settings_classes() -> set[str]:
    found = set()
    # The source trees only: a glob from the root would also walk .cascade/, where test
    # brokers delete topic folders mid-walk (FileNotFoundError under load).
    trees = (REPO / top for top in ("libs", "services", "tools"))
    for path in (p for tree in trees for p in tree.glob("**/src/cascade/**/*.py")):
        src = path.as_posix().split("/src/", 1)[1]
        module = src.removesuffix(".py").replace("/", ".")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            bases = [getattr(base, "id", None) for base in getattr(node, "bases", [])]
            if isinstance(node, ast.ClassDef) and "BaseSettings" in bases:
                found.add(f"{module}:{node.name}")
    return found


def test_every_settings_model_of_the_project_is_registered() -> None:
    classes = _settings_classes()
    assert "cascade.shared.settings:Settings" in classes  # the scan itself works
    assert classes <= set(SETTINGS_MODELS)


def test_every_cascade_name_the_repository_uses_is_known() -> None:
    # What make up, the tests, compose and the README set must never be refused at start.
    known = known_variables()
    unknown: dict[str, str] = {}
    suffixes = {".py", ".yml", ".yaml", ".toml", ".md", ".sh", ".cfg", ".ini", ".env"}
    # The repository's own files, as git sees them: walking the tree would also enter the
    # test brokers' data under .cascade/, where other workers delete topics mid-walk.
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, check=True, text=True,
    ).stdout.split("\0")  # fmt: skip
    for rel in map(Path, filter(None, listed)):
        path = REPO / rel
        if not path.is_file():
            continue
        if path.suffix not in suffixes and path.name not in {"Makefile", "Dockerfile"}:
            continue
        for name in re.findall(r"\bCASCADE_[A-Z0-9_]+", path.read_text(errors="replace")):
            # `CASCADE_NETSUITE_*` and f"CASCADE_{...}" are families, not names.
            if name.endswith("_") or name in known or name in DELIBERATELY_UNKNOWN:
                continue
            unknown.setdefault(name, str(rel))
    assert unknown == {}


def test_production_refuses_every_simulator_default_and_a_missing_admin_token() -> None:
    problems = production_problems(
        Settings(env="production"), {Role.NETSUITE_CLIENT, Role.ADMIN_API}
    )
    assert problems == [
        "CASCADE_NETSUITE_BASE_URL is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_ACCOUNT_ID is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_CONSUMER_KEY is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_CONSUMER_SECRET is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_TOKEN_ID is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_TOKEN_SECRET is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_BASE_URL must be an https:// URL",
        "CASCADE_ADMIN_TOKEN is unset: the admin API would refuse everyone",
    ]


def test_production_refuses_fault_injection_and_the_simulator_test_api_everywhere() -> None:
    settings = Settings(
        **GOOD_PRODUCTION, crash_at="relay_after_publish", netsuite_sim_enable_test_api=True
    )
    assert production_problems(settings, ()) == [
        "CASCADE_CRASH_AT is set: fault injection would kill the process",
        "CASCADE_NETSUITE_SIM_ENABLE_TEST_API is true: the simulator's fault API is for tests",
    ]


def test_production_refuses_a_short_admin_token_and_test_doubles() -> None:
    settings = Settings(**{**GOOD_PRODUCTION, "admin_token": SecretStr("short")})
    assert production_problems(settings, {Role.ADMIN_API, Role.TEST_DOUBLE}) == [
        "this process is a test double; it does not run in production",
        "CASCADE_ADMIN_TOKEN is shorter than 32 characters",
    ]


def test_production_on_oauth2_asks_for_the_m2m_settings_not_the_tba_secrets() -> None:
    tba_secrets = ("consumer_key", "consumer_secret", "token_id", "token_secret")
    base = {
        k: v for k, v in GOOD_PRODUCTION.items() if k.removeprefix("netsuite_") not in tba_secrets
    }
    settings = Settings(**{**base, "netsuite_auth": "oauth2"})
    assert production_problems(settings, {Role.NETSUITE_CLIENT}) == [
        "CASCADE_NETSUITE_OAUTH2_CLIENT_ID is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_OAUTH2_CERTIFICATE_ID is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY is unset (CASCADE_NETSUITE_AUTH=oauth2)",
    ]
    complete = {
        "netsuite_oauth2_client_id": SecretStr("a" * 64),
        "netsuite_oauth2_certificate_id": "Ab12Cd34",
        "netsuite_oauth2_private_key": SecretStr("-----BEGIN PRIVATE KEY-----..."),
    }
    settings = Settings(**{**base, "netsuite_auth": "oauth2", **complete})
    assert production_problems(settings, {Role.NETSUITE_CLIENT}) == []


def test_a_complete_production_configuration_passes() -> None:
    roles = {Role.NETSUITE_CLIENT, Role.ADMIN_API}
    assert production_problems(Settings(**GOOD_PRODUCTION), roles) == []


def _isolate(monkeypatch: pytest.MonkeyPatch) -> None:
    # The models read os.environ: start from none of this shell's CASCADE_* variables.
    for name in list(os.environ):
        if name.upper().startswith("CASCADE_"):
            monkeypatch.delenv(name)


def test_check_settings_lists_every_problem_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _isolate(monkeypatch)
    environ = {"CASCADE_ENV": "production", "CASCADE_ADMIN_TOKN": "x" * 43}
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    settings, _, problems = check_settings({Role.ADMIN_API}, environ)
    assert settings is not None
    assert problems == [
        "CASCADE_ADMIN_TOKN is not a Cascade setting; did you mean CASCADE_ADMIN_TOKEN?",
        "CASCADE_ADMIN_TOKEN is unset: the admin API would refuse everyone",
    ]


def test_development_mode_accepts_the_local_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    _isolate(monkeypatch)
    settings, _, problems = check_settings({Role.NETSUITE_CLIENT, Role.ADMIN_API}, {})
    assert settings is not None
    assert settings.env == "development"
    assert problems == []


def test_invalid_values_are_problems_without_their_value(monkeypatch: pytest.MonkeyPatch) -> None:
    _isolate(monkeypatch)
    environ = {"CASCADE_ENV": "prod", "CASCADE_INTAKE_PORT": "eighty"}
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    settings, _, problems = check_settings((), environ)
    assert settings is None
    assert problems == [
        "CASCADE_INTAKE_PORT: Input should be a valid integer, "
        "unable to parse string as an integer",
        "CASCADE_ENV: Input should be 'development' or 'production'",
    ]
    assert not any("eighty" in problem for problem in problems)
