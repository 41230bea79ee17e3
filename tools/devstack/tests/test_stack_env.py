"""The environment `make up` gives each service: derived ports and URLs, refused typos.

`start_services` runs with process start-up replaced by a recorder, so no server is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cascade.devstack import procs, stack
from cascade.devstack.infra import StackEndpoints

ENDPOINTS = StackEndpoints("postgresql+asyncpg://c:c@127.0.0.1:1/c", "127.0.0.1:2")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, dict[str, str]]:
    """service name -> the environment `start_services` started it with."""
    for name in ("CASCADE_NETSUITE_BASE_URL", "CASCADE_NETSUITE_SIM_PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CASCADE_HOME", str(tmp_path))
    envs: dict[str, dict[str, str]] = {}

    def record(argv: list[str], **kwargs: Any) -> int:
        module = argv[-1]
        name = next(s.name for s in stack.SERVICES if s.module == module)
        envs[name] = dict(kwargs["env"])
        return 1

    monkeypatch.setattr(procs, "start_detached", record)
    monkeypatch.setattr(procs, "is_running", lambda _pidfile: False)
    monkeypatch.setattr(stack, "_wait_healthy", lambda _profile, _service: None)
    return envs


def test_the_clients_talk_to_the_simulator_on_its_configured_port(
    monkeypatch: pytest.MonkeyPatch, started: dict[str, dict[str, str]]
) -> None:
    monkeypatch.setenv("CASCADE_NETSUITE_SIM_PORT", "18109")
    stack.start_services("dev", ENDPOINTS, "token")
    assert started["netsuite-sim"]["CASCADE_NETSUITE_SIM_PORT"] == "18109"
    for client in ("ns-pusher", "verifier"):
        assert started[client]["CASCADE_NETSUITE_BASE_URL"] == "http://127.0.0.1:18109"


def test_the_default_simulator_port_is_the_settings_default(
    started: dict[str, dict[str, str]],
) -> None:
    stack.start_services("dev", ENDPOINTS, "token")
    assert started["ns-pusher"]["CASCADE_NETSUITE_BASE_URL"] == "http://127.0.0.1:8009"
    assert started["intake"]["CASCADE_INTAKE_PORT"] == "8001"


def test_an_explicit_netsuite_url_wins(
    monkeypatch: pytest.MonkeyPatch, started: dict[str, dict[str, str]]
) -> None:
    monkeypatch.setenv("CASCADE_NETSUITE_SIM_PORT", "18109")
    monkeypatch.setenv("CASCADE_NETSUITE_BASE_URL", "https://sandbox.example")
    stack.start_services("dev", ENDPOINTS, "token")
    assert started["verifier"]["CASCADE_NETSUITE_BASE_URL"] == "https://sandbox.example"


def test_a_misspelled_variable_stops_make_up_before_any_service_starts(
    monkeypatch: pytest.MonkeyPatch, started: dict[str, dict[str, str]]
) -> None:
    monkeypatch.setenv("CASCADE_NETSUITE_SIM_PROT", "18109")
    with pytest.raises(RuntimeError, match="CASCADE_NETSUITE_SIM_PROT") as refused:
        stack.start_services("dev", ENDPOINTS, "token")
    assert "did you mean CASCADE_NETSUITE_SIM_PORT?" in str(refused.value)
    assert started == {}


def test_the_local_stack_speaks_oauth2_m2m_with_a_key_made_once(
    monkeypatch: pytest.MonkeyPatch, started: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    monkeypatch.delenv("CASCADE_NETSUITE_AUTH", raising=False)
    stack.start_services("dev", ENDPOINTS, "token")
    key_file = tmp_path / ".cascade" / "netsuite-m2m-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    pusher, sim = started["ns-pusher"], started["netsuite-sim"]
    assert pusher["CASCADE_NETSUITE_AUTH"] == "oauth2"
    assert pusher["CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY"] == key_file.read_text()
    assert "PUBLIC KEY" in sim["CASCADE_NETSUITE_SIM_OAUTH2_PUBLIC_KEY"]
    first = key_file.read_text()
    stack.start_services("dev", ENDPOINTS, "token")
    assert key_file.read_text() == first


def test_a_chosen_netsuite_auth_mode_is_left_alone(
    monkeypatch: pytest.MonkeyPatch, started: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    monkeypatch.setenv("CASCADE_NETSUITE_AUTH", "tba")
    stack.start_services("dev", ENDPOINTS, "token")
    assert started["ns-pusher"]["CASCADE_NETSUITE_AUTH"] == "tba"
    assert "CASCADE_NETSUITE_OAUTH2_PRIVATE_KEY" not in started["ns-pusher"]
    assert not (tmp_path / ".cascade" / "netsuite-m2m-key.pem").exists()
