"""Start-up checks of a process's configuration: no unknown `CASCADE_*` variable, and in
production (`CASCADE_ENV=production`) none of the local defaults that only suit a laptop.

Run once, where a service's `__main__` builds its settings (`load_settings`); tests that build
`Settings(...)` with explicit values do not go through it. A refusal lists every problem at
once on stderr and exits with `EX_CONFIG` (78), without a traceback: a supervisor's log shows
the reason in its first lines.
"""

from __future__ import annotations

import difflib
import importlib
import os
import sys
from collections.abc import Collection, Iterable, Mapping
from enum import Enum
from functools import cache
from typing import NoReturn, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

from cascade.shared.settings import Settings

ENV_PREFIX = "CASCADE_"

#: Every settings model of the project. libs/shared cannot import the services and tools
#: (they depend on it), yet every process must know every name: `make up` and compose hand
#: the same environment to all of them, so intake must accept an approvals-only variable.
#: The names themselves come from the models' fields; only the models are listed here
#: (a test checks that no `BaseSettings` of the project is missing).
SETTINGS_MODELS = (
    "cascade.shared.settings:Settings",
    "cascade.approvals.ui_settings:UiSettings",
    "cascade.mcp.settings:McpSettings",
    "cascade.devstack.settings:DevstackSettings",
    "cascade.shared.objectstore.settings:ObjectStoreSettings",
    "cascade.shared.operator_cli.settings:OperatorSettings",
    "cascade.shared.topic_admin.settings:TopicSettings",
)

#: Exit status of a refused start (sysexits' EX_CONFIG).
EX_CONFIG = 78

#: The NetSuite settings whose defaults are the simulator's account (see tools/netsuite-sim),
#: those every mode needs, then those of each auth mode.
_SIMULATOR_DEFAULTS = {
    "any": ("netsuite_base_url", "netsuite_account_id"),
    "tba": (
        "netsuite_consumer_key",
        "netsuite_consumer_secret",
        "netsuite_token_id",
        "netsuite_token_secret",
    ),
    "oauth2": ("netsuite_oauth2_client_id", "netsuite_oauth2_certificate_id"),
}

#: `make up` generates 43 characters (`secrets.token_urlsafe(32)`); less is guessable.
MIN_ADMIN_TOKEN_CHARS = 32


class Role(Enum):
    """What a process does, so production checks ask only for what it uses."""

    #: Talks to NetSuite (ns-pusher, verifier): needs real credentials and URL.
    NETSUITE_CLIENT = "netsuite client"
    #: Serves an admin API guarded by `CASCADE_ADMIN_TOKEN` (approvals, ns-pusher).
    ADMIN_API = "admin api"
    #: A stand-in for tests and local use (the NetSuite simulator, the probe).
    TEST_DOUBLE = "test double"


@runtime_checkable
class ProductionChecked(Protocol):
    """A settings model of one service that knows its own production problems."""

    def production_problems(self) -> list[str]:
        """What is unfit for production in these settings (empty when all is well)."""
        ...


M = TypeVar("M", bound=BaseSettings)


def env_name(field: str, prefix: str = ENV_PREFIX) -> str:
    """The environment variable of a settings field."""
    return f"{prefix}{field}".upper()


def model_env_names(model: type[BaseSettings]) -> frozenset[str]:
    """The environment variables a settings model reads, from its fields."""
    prefix = str(model.model_config.get("env_prefix", ""))
    return frozenset(env_name(name, prefix) for name in model.model_fields)


def _import_model(path: str) -> type[BaseSettings] | None:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # A package that is not installed (a slimmer install than the workspace's) has no
        # variables to accept; anything else that fails to import is a real error.
        if exc.name is not None and (module_name + ".").startswith(exc.name + "."):
            return None
        raise
    model: type[BaseSettings] = getattr(module, attribute)
    return model


def settings_models() -> list[type[BaseSettings]]:
    """The models of `SETTINGS_MODELS` that this install has, imported."""
    return [model for model in map(_import_model, SETTINGS_MODELS) if model is not None]


@cache
def known_variables() -> dict[str, str]:
    """Every `CASCADE_*` name of the project -> the model that declares it."""
    known: dict[str, str] = {}
    for model in settings_models():
        for name in model_env_names(model):
            known.setdefault(name, f"{model.__module__}.{model.__qualname__}")
    return known


def unknown_variables(environ: Mapping[str, str], known: Collection[str]) -> list[str]:
    """One problem per `CASCADE_*` variable that no settings model declares.

    pydantic-settings matches names case-insensitively, so `cascade_x` counts as well.
    """
    problems = []
    tails = [name.removeprefix(ENV_PREFIX) for name in known]
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith(ENV_PREFIX) or upper in known:
            continue
        # Compare without the prefix every name shares, or anything would look close.
        rest = upper.removeprefix(ENV_PREFIX)
        closest = difflib.get_close_matches(rest, tails, n=1, cutoff=0.6)
        hint = f"; did you mean {ENV_PREFIX}{closest[0]}?" if closest else ""
        problems.append(f"{name} is not a Cascade setting{hint}")
    return problems


def _secret(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def production_problems(settings: Settings, roles: Collection[Role]) -> list[str]:
    """What makes `settings` unfit for production in a process with these roles."""
    problems: list[str] = []
    if Role.TEST_DOUBLE in roles:
        problems.append("this process is a test double; it does not run in production")
    if settings.crash_at:
        problems.append("CASCADE_CRASH_AT is set: fault injection would kill the process")
    if settings.netsuite_sim_enable_test_api:
        problems.append(
            "CASCADE_NETSUITE_SIM_ENABLE_TEST_API is true: the simulator's fault API is for tests"
        )
    if Role.NETSUITE_CLIENT in roles:
        fields = Settings.model_fields
        names = _SIMULATOR_DEFAULTS["any"] + _SIMULATOR_DEFAULTS[settings.netsuite_auth]
        for name in names:
            if _secret(getattr(settings, name)) == _secret(fields[name].default):
                problems.append(
                    f"{env_name(name)} is unset (its default is the NetSuite simulator's)"
                )
        if settings.netsuite_auth == "oauth2" and not _secret(settings.netsuite_oauth2_private_key):
            problems.append(
                "CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY is unset (CASCADE_NETSUITE_AUTH=oauth2)"
            )
        if urlsplit(settings.netsuite_base_url).scheme != "https":
            problems.append("CASCADE_NETSUITE_BASE_URL must be an https:// URL")
    if Role.ADMIN_API in roles:
        token = settings.admin_token.get_secret_value() if settings.admin_token else ""
        if not token:
            problems.append("CASCADE_ADMIN_TOKEN is unset: the admin API would refuse everyone")
        elif len(token) < MIN_ADMIN_TOKEN_CHARS:
            problems.append(
                f"CASCADE_ADMIN_TOKEN is shorter than {MIN_ADMIN_TOKEN_CHARS} characters"
            )
    return problems


def _validation_problems(exc: ValidationError, model: type[BaseSettings]) -> list[str]:
    prefix = str(model.model_config.get("env_prefix", ""))
    # No input values: a malformed secret must not end up in a log.
    return [
        f"{env_name(str(error['loc'][0]), prefix) if error['loc'] else model.__name__}: "
        f"{error['msg']}"
        for error in exc.errors()
    ]


def refuse(service: str, problems: Iterable[str]) -> NoReturn:
    """Print why the process does not start and exit with EX_CONFIG."""
    listed = list(problems)
    lines = [f"cascade {service}: refusing to start, {len(listed)} configuration problem(s):"]
    lines += [f"  - {problem}" for problem in listed]
    print("\n".join(lines), file=sys.stderr, flush=True)
    raise SystemExit(EX_CONFIG)


def _build(model: type[M], problems: list[str]) -> M | None:
    try:
        return model()
    except ValidationError as exc:
        problems.extend(_validation_problems(exc, model))
        return None


def check_settings(
    roles: Collection[Role],
    environ: Mapping[str, str],
    *models: type[BaseSettings],
) -> tuple[Settings | None, list[BaseSettings | None], list[str]]:
    """Build Settings and `models` from the environment; every problem found, all at once."""
    problems = unknown_variables(environ, known_variables())
    settings = _build(Settings, problems)
    others: list[BaseSettings | None] = [_build(model, problems) for model in models]
    if settings is not None and settings.env == "production":
        problems.extend(production_problems(settings, roles))
        for other in others:
            if isinstance(other, ProductionChecked):
                problems.extend(other.production_problems())
    return settings, others, problems


def load_settings(service: str, roles: Collection[Role] = ()) -> Settings:
    """The process's Settings, or a refusal naming every configuration problem."""
    settings, _, problems = check_settings(roles, os.environ)
    if problems or settings is None:
        refuse(service, problems)
    return settings


def load_settings_with(service: str, roles: Collection[Role], model: type[M]) -> tuple[Settings, M]:
    """`load_settings` plus one service-specific settings model, checked together."""
    settings, others, problems = check_settings(roles, os.environ, model)
    other = others[0]
    if problems or settings is None or not isinstance(other, model):
        refuse(service, problems)
    return settings, other
