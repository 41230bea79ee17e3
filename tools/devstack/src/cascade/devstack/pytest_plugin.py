"""Pytest fixtures for integration and e2e tests: the real broker and database, isolated per test.

Each test gets its own database (a copy of a migrated template) and its own topic prefix
and consumer groups, so tests never see each other's rows or records.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.devstack import kafka, objectstore
from cascade.devstack.containers import choose_backend, container_stack, docker_answers
from cascade.devstack.infra import (
    DATABASE_URL_ENV,
    KAFKA_BOOTSTRAP_ENV,
    OBJECT_STORE_ENDPOINT_ENV,
    StackEndpoints,
    infra_up,
    object_store_env,
)
from cascade.devstack.kafka_inspect import delete_topics
from cascade.devstack.paths import repo_root
from cascade.devstack.service_process import ServiceProcess, free_port
from cascade.devstack.settings import DevstackSettings
from cascade.shared.db.engine import build_engine, build_session_factory
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.objectstore import ObjectStoreSettings
from cascade.shared.settings import Settings
from cascade.shared.topic_admin.provision import apply_topics, project_specs

TEMPLATE_DB = "cascade_test_template"


def _asyncpg_dsn(url: str, database: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


async def _as_admin(database_url: str, *statements: str) -> None:
    """Run `statements` on the server's `postgres` database (CREATE/DROP DATABASE cannot run
    inside the database they name, nor in a transaction)."""
    admin = await asyncpg.connect(_asyncpg_dsn(database_url, "postgres"))
    try:
        for statement in statements:
            await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def base_stack() -> Iterator[StackEndpoints]:
    """The tests' PostgreSQL, Kafka and S3 server: external ones from env, else containers or
    the test profile's devstack (started if needed), as `CASCADE_TEST_BACKEND` says."""
    if os.environ.get(DATABASE_URL_ENV) and os.environ.get(KAFKA_BOOTSTRAP_ENV):
        external_s3 = bool(os.environ.get(OBJECT_STORE_ENDPOINT_ENV))
        store = ObjectStoreSettings() if external_s3 else objectstore.ensure_s3("test")
        yield StackEndpoints(
            os.environ[DATABASE_URL_ENV],
            os.environ[KAFKA_BOOTSTRAP_ENV],
            False,
            False,
            object_store_env(store),
            not external_s3,
        )
        return
    backend = choose_backend(DevstackSettings().test_backend, docker_answers)
    if backend == "testcontainers":
        with container_stack() as endpoints:
            yield endpoints
        return
    yield infra_up("test")


@pytest.fixture(scope="session")
def stack(base_stack: StackEndpoints) -> StackEndpoints:
    """The servers a test runs on (`base_stack`; a module or folder on the three-broker
    cluster overrides it: `cascade.devstack.on_cluster`)."""
    return base_stack


def kafka_is_the_devstacks(stack: StackEndpoints) -> bool:
    """Whether the tests' Kafka is the local devstack's (not external, not a container)."""
    if os.environ.get(KAFKA_BOOTSTRAP_ENV) or not stack.kafka_managed:
        return False
    return choose_backend(DevstackSettings().test_backend, docker_answers) != "testcontainers"


@pytest.fixture(scope="session")
def cluster_stack(base_stack: StackEndpoints) -> StackEndpoints:
    """`base_stack` with Kafka on a three-broker KRaft cluster (RF 3, min ISR 2) of its own,
    profile `test-cluster`, started if needed. An external Kafka or a container one is used
    as given: the cluster is the local devstack's."""
    if not kafka_is_the_devstacks(base_stack):
        return base_stack
    nodes = kafka.DEFAULT_NODES[kafka.TEST_CLUSTER_PROFILE]
    port, controller = kafka.DEFAULT_PORTS[kafka.TEST_CLUSTER_PROFILE]
    bootstrap = kafka.ensure_kafka(kafka.TEST_CLUSTER_PROFILE, port, controller, nodes)
    return replace(base_stack, kafka_bootstrap=bootstrap, replication=kafka.replication_of(nodes))


@pytest.fixture(scope="session")
def object_store_settings(stack: StackEndpoints) -> ObjectStoreSettings:
    """The real S3-compatible server of the tests (the test profile's SeaweedFS, or an
    external one from env); tests share its bucket, keys hold run ids."""
    return ObjectStoreSettings.model_validate(_object_store_fields(stack.object_store))


def _object_store_fields(env: dict[str, str]) -> dict[str, str]:
    prefix = "CASCADE_OBJECT_STORE_"
    return {key[len(prefix) :].lower(): value for key, value in env.items()}


@pytest.fixture(scope="session")
async def template_database(stack: StackEndpoints) -> AsyncIterator[str]:
    """A database migrated to head once per session; tests copy it. Named per process so
    concurrent pytest sessions on one server never drop each other's template."""
    name = f"{TEMPLATE_DB}_{os.getpid()}"
    await _as_admin(
        stack.database_url,
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"',
    )
    url = make_url(stack.database_url).set(database=name).render_as_string(False)
    await asyncio.to_thread(upgrade_to_head, url)
    yield name
    await _as_admin(stack.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def database_url(stack: StackEndpoints, template_database: str) -> AsyncIterator[str]:
    """A fresh, migrated database of this test's own."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await _as_admin(stack.database_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    yield make_url(stack.database_url).set(database=name).render_as_string(False)
    await _as_admin(stack.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def settings(stack: StackEndpoints, database_url: str) -> AsyncIterator[Settings]:
    """Settings of this test: its database, its topic prefix (topics provisioned as the
    product does, with the stack's replication), its groups."""
    tag = uuid.uuid4().hex[:10]
    result = Settings(
        database_url=database_url,
        kafka_bootstrap=stack.kafka_bootstrap,
        topic_prefix=f"t{tag}.",
        consumer_group_prefix=f"g{tag}",
        contracts_dir=repo_root() / "contracts",
        max_delivery_attempts=3,
        redelivery_backoff_ms=50,
        outbox_poll_ms=50,
    )
    declared = stack.topic_settings()
    specs = project_specs(result.topic_prefix, result.contracts_dir, declared)
    await apply_topics(stack.kafka_bootstrap, specs, declared.admin_timeout_s)
    yield result
    await delete_topics(stack.kafka_bootstrap, [spec.name for spec in specs])


@pytest.fixture
async def session_factory(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on this test's database."""
    engine = build_engine(settings, application_name="cascade-tests")
    yield build_session_factory(engine)
    await engine.dispose()


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a service process use `settings`."""
    return {
        "CASCADE_DATABASE_URL": settings.database_url,
        "CASCADE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "CASCADE_TOPIC_PREFIX": settings.topic_prefix,
        "CASCADE_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "CASCADE_CONTRACTS_DIR": str(settings.contracts_dir),
        "CASCADE_MAX_DELIVERY_ATTEMPTS": str(settings.max_delivery_attempts),
        "CASCADE_REDELIVERY_BACKOFF_MS": str(settings.redelivery_backoff_ms),
        "CASCADE_OUTBOX_POLL_MS": str(settings.outbox_poll_ms),
    }


SERVICE_MODULES = {
    "intake": ("cascade.intake", "CASCADE_INTAKE_PORT"),
    "runner": ("cascade.runner", "CASCADE_RUNNER_PORT"),
    "approvals": ("cascade.approvals", "CASCADE_APPROVALS_PORT"),
    "ns_pusher": ("cascade.ns_pusher", "CASCADE_NS_PUSHER_PORT"),
    "verifier": ("cascade.verifier", "CASCADE_VERIFIER_PORT"),
    "mcp": ("cascade.mcp", "CASCADE_MCP_PORT"),
    "probe": ("cascade.devstack.probe", "CASCADE_PROBE_PORT"),
    "netsuite_sim": ("cascade.netsuite_sim", "CASCADE_NETSUITE_SIM_PORT"),
}


class ServiceStarter:
    """Starts services as real processes on free ports, one by one (`starter(name, env)`)
    or side by side (`starter.many([(name, env), ...])`); stops them all at `close`."""

    def __init__(self, settings: Settings, stack: StackEndpoints, log_dir: Path) -> None:
        self._settings = settings
        self._stack = stack
        self._log_dir = log_dir
        self._started: list[ServiceProcess] = []

    def _launch(self, name: str, extra_env: dict[str, str] | None, attempt: int) -> ServiceProcess:
        module, port_var = SERVICE_MODULES[name]
        port = free_port()
        env = {
            **self._stack.object_store,
            **settings_env(self._settings),
            port_var: str(port),
            **(extra_env or {}),
        }
        proc = ServiceProcess(name, module, port, env, self._log_dir / f"{name}-{attempt}.log")
        proc.start()
        self._started.append(proc)
        return proc

    def _healthy(self, proc: ServiceProcess) -> bool:
        """Wait until `proc` is healthy; False when another process took its port first."""
        try:
            proc.wait_healthy()
        except RuntimeError:
            if "address already in use" not in proc.log_tail().lower():
                raise
            return False
        return True

    def __call__(self, name: str, extra_env: dict[str, str] | None = None) -> ServiceProcess:
        for attempt in range(3):
            proc = self._launch(name, extra_env, attempt)
            if self._healthy(proc):
                return proc
        raise RuntimeError(f"{name}: no free port after 3 attempts")

    def many(self, specs: list[tuple[str, dict[str, str] | None]]) -> list[ServiceProcess]:
        """Start every service at once, then wait for each: most of a start is waiting for
        Kafka (group joins), which the processes then do side by side."""
        procs = [self._launch(name, env, 0) for name, env in specs]
        # One that lost its port to another process is started again on its own.
        return [
            proc if self._healthy(proc) else self(name, env)
            for proc, (name, env) in zip(procs, specs, strict=True)
        ]

    def close(self) -> None:
        for proc in self._started:
            proc.stop()


StartService = ServiceStarter


@pytest.fixture
def start_service(
    settings: Settings, stack: StackEndpoints, tmp_path: Path
) -> Iterator[ServiceStarter]:
    """Start a service as a real process on a free port; all are stopped after the test."""
    starter = ServiceStarter(settings, stack, tmp_path)
    yield starter
    starter.close()
