"""Which backend the tests' PostgreSQL and Kafka come from (`CASCADE_TEST_BACKEND`)."""

from __future__ import annotations

import pytest

from cascade.devstack.containers import NoDockerEngine, choose_backend, docker_answers
from cascade.devstack.settings import DevstackSettings


def _never_asked() -> bool:
    raise AssertionError("Docker was probed although the setting forces the devstack")


def test_auto_takes_containers_when_docker_answers() -> None:
    assert choose_backend("auto", lambda: True) == "testcontainers"


def test_auto_falls_back_to_the_devstack_without_docker() -> None:
    assert choose_backend("auto", lambda: False) == "devstack"


def test_devstack_is_taken_without_probing_docker() -> None:
    assert choose_backend("devstack", _never_asked) == "devstack"


def test_forced_containers_with_docker() -> None:
    assert choose_backend("testcontainers", lambda: True) == "testcontainers"


def test_forced_containers_without_docker_say_why_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    with pytest.raises(NoDockerEngine) as refused:
        choose_backend("testcontainers", lambda: False)
    message = str(refused.value)
    assert "no Docker engine answers at tcp://127.0.0.1:1" in message
    assert "CASCADE_TEST_BACKEND=auto or devstack" in message


def test_the_setting_defaults_to_auto_and_refuses_other_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CASCADE_TEST_BACKEND", raising=False)
    assert DevstackSettings().test_backend == "auto"
    monkeypatch.setenv("CASCADE_TEST_BACKEND", "testcontainers")
    assert DevstackSettings().test_backend == "testcontainers"
    monkeypatch.setenv("CASCADE_TEST_BACKEND", "docker")
    with pytest.raises(ValueError, match="test_backend"):
        DevstackSettings()


def test_an_engine_that_is_not_there_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 1 on loopback refuses at once: the probe answers False instead of raising.
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert docker_answers(timeout_s=1) is False
