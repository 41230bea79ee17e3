"""The simulator as a real process on a free port, with its own data folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cascade.devstack.service_process import ServiceProcess, free_port

StartSim = Callable[..., ServiceProcess]

CREDENTIALS = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "1234567-sb1",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-sim-test",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-sim-test",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-sim-test",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-sim-test",
}


@pytest.fixture
def start_sim(tmp_path: Path) -> Iterator[StartSim]:
    """Start simulators (test API on unless told otherwise); all are stopped afterwards."""
    started: list[ServiceProcess] = []

    def start(data_dir: Path | None = None, **env: str) -> ServiceProcess:
        port = free_port()
        folder = data_dir or tmp_path / f"sim-{port}"
        full_env = {
            **CREDENTIALS,
            "CASCADE_NETSUITE_SIM_PORT": str(port),
            "CASCADE_NETSUITE_SIM_DATA_DIR": str(folder),
            "CASCADE_NETSUITE_SIM_ENABLE_TEST_API": "true",
            **env,
        }
        proc = ServiceProcess(
            "netsuite_sim", "cascade.netsuite_sim", port, full_env, folder / "log"
        )
        proc.start()
        started.append(proc)
        proc.wait_healthy()
        return proc

    yield start
    for proc in started:
        proc.stop()
