"""`infra up|down|status`: the stack's PostgreSQL, Kafka and S3 server, provisioned or external.

`infra_up` is what `make up` / `make test` (and test fixtures) call; the CLI in __main__ is a
thin layer over it.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from cascade.devstack import kafka, objectstore, postgres
from cascade.devstack.paths import KNOWN_PROFILES, check_profile, state_dir
from cascade.shared.objectstore import ObjectStoreSettings
from cascade.shared.topic_admin.settings import TopicSettings

DATABASE_URL_ENV = "CASCADE_DATABASE_URL"
KAFKA_BOOTSTRAP_ENV = "CASCADE_KAFKA_BOOTSTRAP"
OBJECT_STORE_ENDPOINT_ENV = "CASCADE_OBJECT_STORE_ENDPOINT_URL"
REPLICATION_ENV = "CASCADE_TOPIC_REPLICATION_FACTOR"
MIN_ISR_ENV = "CASCADE_TOPIC_MIN_INSYNC_REPLICAS"


@dataclass(frozen=True)
class StackEndpoints:
    database_url: str
    kafka_bootstrap: str
    #: False when the value came from the environment (an external server we do not run).
    postgres_managed: bool = True
    kafka_managed: bool = True
    #: `CASCADE_OBJECT_STORE_*` of the S3 server (empty: the services' own settings decide).
    object_store: dict[str, str] = field(default_factory=dict)
    s3_managed: bool = True
    #: (replication factor, min ISR) the provisioned cluster's topics get; None: an external
    #: cluster, whose topics `CASCADE_TOPIC_*` declare (production's defaults).
    replication: tuple[int, int] | None = None

    def env(self) -> dict[str, str]:
        topics = {}
        if self.replication is not None:
            topics = {
                REPLICATION_ENV: str(self.replication[0]),
                MIN_ISR_ENV: str(self.replication[1]),
            }
        return {
            DATABASE_URL_ENV: self.database_url,
            KAFKA_BOOTSTRAP_ENV: self.kafka_bootstrap,
            **self.object_store,
            **topics,
        }

    def topic_settings(self) -> TopicSettings:
        """How this stack's topics are declared: the provisioned cluster's replication, or
        the environment's `CASCADE_TOPIC_*` for an external one."""
        if self.replication is None:
            return TopicSettings()
        factor, min_isr = self.replication
        return TopicSettings(replication_factor=factor, min_insync_replicas=min_isr)


_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]*$")


def render_stack_env(endpoints: StackEndpoints) -> str:
    """KEY=VALUE lines readable by `set -a; . stack.env`, docker --env-file and dotenv.

    Values are bare when they hold only safe characters (the usual case, which every reader
    takes alike); otherwise single-quoted for the shell.
    """
    lines = ["# Written by `python -m cascade.devstack infra up`; endpoints of this stack."]
    for key, value in endpoints.env().items():
        lines.append(f"{key}={value if _SAFE_VALUE.match(value) else shlex.quote(value)}")
    return "\n".join(lines) + "\n"


def parse_stack_env(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        parts = shlex.split(value) if value else [""]
        out[key.strip()] = parts[0] if parts else ""
    return out


def stack_env_file(profile: str) -> Path:
    return state_dir(profile) / "stack.env"


def read_stack_env(profile: str) -> dict[str, str]:
    """The endpoints the last `infra up` wrote for `profile` (empty if none)."""
    path = stack_env_file(profile)
    return parse_stack_env(path.read_text()) if path.is_file() else {}


def mask_url(url: str) -> str:
    """Hide the password of a URL for printing (external URLs may hold real secrets)."""
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


def object_store_env(settings: ObjectStoreSettings) -> dict[str, str]:
    """The `CASCADE_OBJECT_STORE_*` variables that point a service at `settings`' store."""
    env = {
        "CASCADE_OBJECT_STORE_BUCKET": settings.bucket,
        "CASCADE_OBJECT_STORE_REGION": settings.region,
        "CASCADE_OBJECT_STORE_ACCESS_KEY_ID": settings.access_key_id.get_secret_value(),
        "CASCADE_OBJECT_STORE_SECRET_ACCESS_KEY": settings.secret_access_key.get_secret_value(),
    }
    if settings.endpoint_url:
        env[OBJECT_STORE_ENDPOINT_ENV] = settings.endpoint_url
    return env


def _log(msg: str) -> None:
    print(f"devstack: {msg}", flush=True)


def infra_up(profile: str) -> StackEndpoints:
    """Provision (or adopt from the env) PostgreSQL, Kafka and the S3 server; write
    stack.env; return them.

    `CASCADE_DATABASE_URL` / `CASCADE_KAFKA_BOOTSTRAP` / `CASCADE_OBJECT_STORE_ENDPOINT_URL`
    in the environment point at external servers, which are then used as given and not
    provisioned. The servers start in parallel: the JVM's start-up dominates a cold start,
    PostgreSQL and SeaweedFS fit inside it.
    """
    check_profile(profile)
    started = time.monotonic()
    ext_db = os.environ.get(DATABASE_URL_ENV)
    ext_kafka = os.environ.get(KAFKA_BOOTSTRAP_ENV)
    ext_s3 = os.environ.get(OBJECT_STORE_ENDPOINT_ENV)
    timings: dict[str, float] = {}

    def timed(name: str, ensure: Callable[[], str]) -> str:
        t0 = time.monotonic()
        value = ensure()
        timings[name] = time.monotonic() - t0
        return value

    def s3_endpoint() -> str:
        store = objectstore.ensure_s3(profile)
        return store.endpoint_url or ""

    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="devstack") as pool:
        db_job: Future[str] | None = None
        kafka_job: Future[str] | None = None
        s3_job: Future[str] | None = None
        if not ext_db:
            db_job = pool.submit(timed, "postgres", lambda: postgres.ensure_postgres(profile))
        if not ext_kafka:
            kafka_job = pool.submit(timed, "kafka", lambda: kafka.ensure_kafka(profile))
        if not ext_s3:
            s3_job = pool.submit(timed, "s3", s3_endpoint)
        # Wait for all before raising, so a failure of one never leaves another running
        # on unseen in a background thread.
        wait([job for job in (db_job, kafka_job, s3_job) if job is not None])
        database_url = ext_db or (db_job.result() if db_job else "")
        bootstrap = ext_kafka or (kafka_job.result() if kafka_job else "")
        if s3_job is not None:
            s3_job.result()

    # External: the services read every CASCADE_OBJECT_STORE_* from the same environment.
    store = (
        ObjectStoreSettings()
        if ext_s3
        else objectstore.endpoint_settings(objectstore.default_port(profile))
    )
    endpoints = StackEndpoints(
        database_url,
        bootstrap,
        ext_db is None,
        ext_kafka is None,
        object_store_env(store),
        ext_s3 is None,
        None if ext_kafka else kafka.replication_of(kafka.default_nodes(profile)),
    )
    env_file = stack_env_file(profile)
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text(render_stack_env(endpoints))

    total = time.monotonic() - started
    if ext_db:
        _log(f"PostgreSQL  {mask_url(database_url)}  (external, from ${DATABASE_URL_ENV})")
    else:
        _log(
            f"PostgreSQL  {mask_url(database_url)}  ready in {timings['postgres']:.2f}s"
            f"  log: {postgres.postgres_log(profile)}"
        )
    if ext_kafka:
        _log(f"Kafka       {bootstrap}  (external, from ${KAFKA_BOOTSTRAP_ENV})")
    else:
        nodes = kafka.default_nodes(profile)
        _log(
            f"Kafka       {bootstrap}  ({nodes} node{'s' * (nodes > 1)}) ready in "
            f"{timings['kafka']:.2f}s  log: {kafka.kafka_log(profile)}"
        )
    if ext_s3:
        _log(f"S3          {ext_s3}  (external, from ${OBJECT_STORE_ENDPOINT_ENV})")
    else:
        _log(
            f"S3          {store.endpoint_url} bucket {store.bucket}  ready in "
            f"{timings['s3']:.2f}s  log: {objectstore.s3_log(profile)}"
        )
    _log(f"env file    {env_file}")
    _log(f"infra up ({profile}) took {total:.2f}s")
    return endpoints


def infra_down(profile: str, *, purge: bool = False) -> None:
    """Stop this profile's own Kafka, PostgreSQL and S3 server (never external ones); drop
    stack.env.

    `purge` also deletes the profile's state (databases, topics, logs).
    """
    check_profile(profile)
    t0 = time.monotonic()
    was = kafka.stop_kafka(profile)
    state = "stopped" if was else "was not running"
    _log(f"Kafka ({profile}) {state} ({time.monotonic() - t0:.2f}s)")
    t2 = time.monotonic()
    was = objectstore.stop_s3(profile)
    _log(
        f"SeaweedFS ({profile}) {'stopped' if was else 'was not running'}"
        f" ({time.monotonic() - t2:.2f}s)"
    )
    t1 = time.monotonic()
    was = postgres.stop_postgres(profile)
    _log(
        f"PostgreSQL ({profile}) {'stopped' if was else 'was not running'}"
        f" ({time.monotonic() - t1:.2f}s)"
    )
    stack_env_file(profile).unlink(missing_ok=True)
    if purge:
        postgres.purge_postgres(profile)
        shutil.rmtree(state_dir(profile), ignore_errors=True)
        _log(f"removed {state_dir(profile)}")


def infra_status(profile: str) -> bool:
    """Print what runs for `profile`; True if all three servers run."""
    check_profile(profile)
    pg = postgres.postgres_running(profile)
    kf = kafka.kafka_running(profile)
    s3 = objectstore.s3_running(profile)
    _log(f"PostgreSQL ({profile}): {'running' if pg else 'stopped'}")
    _log(f"Kafka ({profile}): {'running' if kf else 'stopped'}")
    _log(f"SeaweedFS S3 ({profile}): {'running' if s3 else 'stopped'}")
    env = read_stack_env(profile)
    for key, value in env.items():
        _log(f"{key}={'***' if 'SECRET' in key else mask_url(value)}")
    return pg and kf and s3


def _cmd_infra(args: argparse.Namespace) -> int:
    if args.infra_command == "up":
        infra_up(args.profile)
    elif args.infra_command == "down":
        infra_down(args.profile, purge=args.purge)
    elif args.infra_command == "status":
        return 0 if infra_status(args.profile) else 3
    return 0


def add_profile_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        default="dev",
        choices=KNOWN_PROFILES,
        help="which stack: dev (`make up`) or test (`make test`); default dev",
    )


def register_infra_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `infra {up,down,status}` to the devstack CLI."""
    infra = subparsers.add_parser("infra", help="PostgreSQL and Kafka of a local stack")
    sub = infra.add_subparsers(dest="infra_command", required=True, metavar="{up,down,status}")
    up = sub.add_parser("up", help="start (or adopt from the env) PostgreSQL and Kafka")
    add_profile_argument(up)
    down = sub.add_parser("down", help="stop this profile's PostgreSQL and Kafka")
    add_profile_argument(down)
    down.add_argument("--purge", action="store_true", help="also delete the profile's data")
    status = sub.add_parser("status", help="show what runs (exit 3 if not all of it)")
    add_profile_argument(status)
    infra.set_defaults(handler=_cmd_infra)
