"""`CASCADE_*` variables of the local stack itself, not of any service.

Declared as a settings model so that the start-up check (`cascade.shared.startup`) knows
these names from the fields, like every service setting, and the devstack reads them one way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DevstackSettings(BaseSettings):
    """Where the stack lives and which ports its own servers take."""

    # An empty value means unset, as `os.environ.get(...) or default` always did here.
    model_config = SettingsConfigDict(
        env_prefix="CASCADE_", extra="ignore", env_ignore_empty=True, use_attribute_docstrings=True
    )

    home: Path | None = None
    """The checkout whose `.cascade/` holds the stack (default: found from the working dir)."""
    devstack_pg_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the provisioned PostgreSQL; unset, the profile's (dev 55432, test 55433)."""
    devstack_kafka_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the provisioned Kafka broker; unset, the profile's (dev 19092, test 19192)."""
    devstack_kafka_controller_port: int | None = Field(default=None, ge=1, le=65535)
    """Port of the Kafka KRaft controller; unset, the profile's (dev 19093, test 19193)."""
    devstack_kafka_nodes: int | None = Field(default=None, ge=1, le=9)
    """Nodes of the provisioned Kafka cluster (combined broker+controller each, a static
    quorum of all of them); node i takes the Kafka and controller ports + 2i. Unset: the
    profile's (test 3, dev 1)."""
    devstack_s3_port: int | None = Field(default=None, ge=1, le=65520)
    """S3 port of the provisioned SeaweedFS; it also takes the next four, +10..+13 and
    +10004 (cascade.devstack.objectstore). Unset: dev 18333, test 18433."""
    probe_port: int = Field(default=8090, ge=1, le=65535)
    """Port of the test-support probe service (`python -m cascade.devstack.probe`)."""
    db_password: SecretStr | None = None
    """Read by no process: docker-compose.yml interpolates it into the database URL and the
    postgres container. Declared so that exporting it in the shell is not refused."""
    test_backend: Literal["auto", "devstack", "testcontainers"] = "auto"
    """Where the tests' PostgreSQL and Kafka come from: `testcontainers` (throwaway
    containers), `devstack` (the test profile's local servers) or `auto`: containers when a
    Docker engine answers, else the devstack (cascade.devstack.containers)."""
