"""Where the tests' PostgreSQL and Kafka come from: throwaway containers (testcontainers)
when a Docker engine answers, else the local devstack's own processes.

One setting chooses, `CASCADE_TEST_BACKEND` (`DevstackSettings.test_backend`): `auto` (the
default) takes containers when Docker answers a ping and the devstack otherwise, so a laptop
with Docker needs no JVM or PostgreSQL install and this machine (no engine) keeps working;
`devstack` or `testcontainers` force one. Forcing containers without an engine is refused
with the reason, never silently replaced by the devstack.

The S3 server stays the devstack's SeaweedFS in both cases (a local binary it fetches once):
only PostgreSQL and Kafka need an install that containers spare.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Literal

from cascade.devstack import objectstore
from cascade.devstack.infra import StackEndpoints, object_store_env

TestBackend = Literal["auto", "devstack", "testcontainers"]
Chosen = Literal["devstack", "testcontainers"]

#: The same majors as the devstack's (Debian's PostgreSQL 15; KRaft Kafka).
POSTGRES_IMAGE = "postgres:15-alpine"
#: Confluent's image is the one testcontainers' KafkaContainer drives (KRaft from 7.0).
KAFKA_IMAGE = "confluentinc/cp-kafka:7.9.0"
#: How long the broker may take to log that it started.
KAFKA_START_TIMEOUT_S = 180
#: A ping that takes longer means no usable engine: the probe must not slow a test start.
DOCKER_PING_TIMEOUT_S = 2

#: The broker settings the devstack's server.properties sets too (cascade.devstack.kafka):
#: explicit topics of 3 partitions, one replica of everything, transactions on one node.
KAFKA_ENV = {
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
    "KAFKA_NUM_PARTITIONS": "3",
    "KAFKA_DEFAULT_REPLICATION_FACTOR": "1",
    "KAFKA_MIN_INSYNC_REPLICAS": "1",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
}


class NoDockerEngine(RuntimeError):
    """`CASCADE_TEST_BACKEND=testcontainers`, but no Docker engine answers."""


def docker_host() -> str:
    """Where the Docker client looks for the engine (for messages)."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def choose_backend(setting: TestBackend, docker_answers: Callable[[], bool]) -> Chosen:
    """The backend `setting` means; `docker_answers` is asked only when it matters.

    Raises `NoDockerEngine` when containers are forced and the engine does not answer.
    """
    if setting == "devstack":
        return "devstack"
    if docker_answers():
        return "testcontainers"
    if setting == "testcontainers":
        raise NoDockerEngine(
            f"CASCADE_TEST_BACKEND=testcontainers, but no Docker engine answers at "
            f"{docker_host()}: start Docker (or set DOCKER_HOST), or set "
            "CASCADE_TEST_BACKEND=auto or devstack to use the local devstack"
        )
    return "devstack"


def docker_answers(timeout_s: float = DOCKER_PING_TIMEOUT_S) -> bool:
    """Whether a Docker engine answers a ping within `timeout_s` (a CLI without a daemon,
    a missing socket, no Docker SDK: no)."""
    try:
        # Imported here: the SDK comes with testcontainers, a dev dependency only.
        import docker
        from docker.errors import DockerException
    except ImportError:
        return False
    try:
        client = docker.from_env(timeout=int(max(1, timeout_s)))
    except DockerException:
        return False
    try:
        return bool(client.ping())
    except (DockerException, OSError):
        return False
    finally:
        client.close()


@contextmanager
def container_stack() -> Iterator[StackEndpoints]:
    """PostgreSQL and Kafka in containers for as long as the block runs (removed after),
    plus the devstack's S3 server: the same endpoints the devstack's `infra_up` gives."""
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.postgres import PostgresContainer

    postgres = PostgresContainer(POSTGRES_IMAGE, driver="asyncpg").with_command(
        "postgres -c max_connections=200 -c fsync=off"
    )
    kafka = KafkaContainer(KAFKA_IMAGE).with_kraft()
    for key, value in KAFKA_ENV.items():
        kafka.with_env(key, value)
    with ExitStack() as running:
        postgres.start()
        running.callback(postgres.stop)
        # The container's own default (30 s) is short for a JVM's first start on a busy host.
        kafka.start(timeout=KAFKA_START_TIMEOUT_S)
        running.callback(kafka.stop)
        store = objectstore.ensure_s3("test")
        yield StackEndpoints(
            database_url=postgres.get_connection_url(),
            kafka_bootstrap=kafka.get_bootstrap_server(),
            postgres_managed=False,
            kafka_managed=False,
            object_store=object_store_env(store),
        )
