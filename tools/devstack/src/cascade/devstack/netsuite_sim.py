"""Test support: the NetSuite simulator as a process, and the settings that point a client at it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from cascade.devstack.service_process import ServiceProcess

TEST_CREDENTIALS = {
    "CASCADE_NETSUITE_ACCOUNT_ID": "TSTDRV1122334",
    "CASCADE_NETSUITE_CONSUMER_KEY": "ck-test",
    "CASCADE_NETSUITE_CONSUMER_SECRET": "cs-test",
    "CASCADE_NETSUITE_TOKEN_ID": "tk-test",
    "CASCADE_NETSUITE_TOKEN_SECRET": "ts-test",
}
"""One OAuth 1.0a credential set the simulator accepts and the clients sign with."""


def start_simulator(
    start_service: Callable[..., ServiceProcess],
    data_dir: Path,
    credentials: Mapping[str, str] = TEST_CREDENTIALS,
) -> ServiceProcess:
    """Start the simulator with its test API (`/_sim`) on and its storage in `data_dir`."""
    env = {
        **credentials,
        "CASCADE_NETSUITE_SIM_ENABLE_TEST_API": "true",
        "CASCADE_NETSUITE_SIM_DATA_DIR": str(data_dir),
    }
    return start_service("netsuite_sim", env)


def client_env(
    sim: ServiceProcess, credentials: Mapping[str, str] = TEST_CREDENTIALS
) -> dict[str, str]:
    """The environment that makes ns-pusher or the verifier talk to `sim`."""
    return {**credentials, "CASCADE_NETSUITE_BASE_URL": f"http://127.0.0.1:{sim.port}"}
