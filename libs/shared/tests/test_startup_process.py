"""Real service processes refuse a bad configuration at start, before touching Kafka or
PostgreSQL: exit status 78 (EX_CONFIG), every problem on stderr, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

from cascade.devstack.service_process import free_port


def _start(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A service that does not refuse keeps running: the timeout ends it (and the test).
    return subprocess.run(
        [sys.executable, "-m", module],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_misspelled_variable_stops_intake_naming_it() -> None:
    done = _start(
        "cascade.intake",
        {"CASCADE_INTAKE_PORT": str(free_port()), "CASCADE_DATABSE_URL": "postgresql://x/y"},
    )
    assert done.returncode == 78, done.stderr
    assert (
        "CASCADE_DATABSE_URL is not a Cascade setting; did you mean CASCADE_DATABASE_URL?"
        in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_production_mode_stops_ns_pusher_listing_every_problem() -> None:
    done = _start(
        "cascade.ns_pusher",
        {
            "CASCADE_NS_PUSHER_PORT": str(free_port()),
            "CASCADE_ENV": "production",
            "CASCADE_CRASH_AT": "relay_after_publish",
            "CASCADE_ADMIN_TOKEN": "",
        },
    )
    assert done.returncode == 78, done.stderr
    for expected in (
        "CASCADE_CRASH_AT is set",
        "CASCADE_NETSUITE_CONSUMER_KEY is unset (its default is the NetSuite simulator's)",
        "CASCADE_NETSUITE_BASE_URL must be an https:// URL",
        "CASCADE_ADMIN_TOKEN is unset",
    ):
        assert expected in done.stderr
    assert "Traceback" not in done.stderr
