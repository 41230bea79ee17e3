"""A real Apache Kafka 4.1.1 broker (KRaft, one combined broker+controller) from Maven jars.

No Docker engine here and Apache's download site may be unreachable, but Maven Central
carries the broker as jars: see shared/guides/kafka-local.md, which this module follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cascade.devstack import procs
from cascade.devstack.paths import cache_dir, check_profile, logs_dir, state_dir
from cascade.devstack.settings import DevstackSettings

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "dev": (19092, 19093),
    "test": (19192, 19193),
    "bench": (19392, 19393),  # `make bench`: the workflow benchmark's own servers
}
PORT_ENV = "CASCADE_DEVSTACK_KAFKA_PORT"
CONTROLLER_PORT_ENV = "CASCADE_DEVSTACK_KAFKA_CONTROLLER_PORT"

READY_TIMEOUT_S = 90.0

JVM_OPTS = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
)

POM_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by cascade.devstack: its only job is to copy the broker's jars into libs/. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>cascade.devstack</groupId>
  <artifactId>kafka-jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <!-- SLF4J 1.7 binding: Kafka uses slf4j-api 1.7.36; without it the broker logs nothing -->
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

# Console only (start_detached sends stdout to logs/kafka.log); warn keeps the log small, and
# BrokerLifecycleManager at info keeps the "Transitioning from RECOVERY to RUNNING" line.
LOG4J2_PROPERTIES = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = STDOUT
logger.lifecycle.name = kafka.server.BrokerLifecycleManager
logger.lifecycle.level = info
"""


def default_ports(profile: str) -> tuple[int, int]:
    """(client port, controller port): env overrides, else the profile's defaults."""
    base, ctrl = DEFAULT_PORTS.get(check_profile(profile), DEFAULT_PORTS["dev"])
    ours = DevstackSettings()
    return ours.devstack_kafka_port or base, ours.devstack_kafka_controller_port or ctrl


def render_server_properties(port: int, controller_port: int, data_dir: Path) -> str:
    """server.properties for one combined node, exactly as the guide says.

    The internal-topic overrides matter: with the defaults (replication 3, min ISR 2) consumer
    groups and idempotent/transactional producers fail or hang on one node. The small cleaner
    buffer matters with a small heap (the 128 MiB default is allocated at start).
    """
    props = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "3",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "false",
        "log.cleaner.dedupe.buffer.size": "16777216",
        # Tests create and delete thousands of topics; remove deleted logs promptly so their
        # files do not pile up against the open-file limit.
        "file.delete.delay.ms": "1000",
        # Idle cost: the active controller appends a no-op record to the metadata log every
        # 500 ms by default (liveness for brokers' lag metrics; one node has no followers to
        # reassure), each one written, committed and applied: a tenth of that is plenty.
        "metadata.max.idle.interval.ms": "5000",
        # Every request handler and network thread wakes ~3 times a second to poll its queue
        # (300 ms) whether or not a request came: 8 + 3 of them were a third of an idle
        # broker's CPU. Two cores serve this machine's load with 2 + 2.
        "num.io.threads": "2",
        "num.network.threads": "2",
    }
    lines = ["# Written by cascade.devstack (see shared/guides/kafka-local.md); do not edit."]
    lines += [f"{key}={value}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def parse_properties(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


# --- jars -------------------------------------------------------------------------------


def kafka_home() -> Path:
    return cache_dir() / "kafka"


def _libs_dir() -> Path:
    return kafka_home() / "libs"


def _marker() -> Path:
    return kafka_home() / "libs.complete"


def _pom_digest() -> str:
    return hashlib.sha256(POM_XML.encode()).hexdigest()


def _ensure_java_and_maven() -> None:
    missing = [
        pkg
        for tool, pkg in (("java", "openjdk-17-jre-headless"), ("mvn", "maven"))
        if shutil.which(tool) is None
    ]
    if missing:
        procs.apt_install(missing, "the Kafka broker needs Java 17 and Maven")


def ensure_kafka_jars() -> Path:
    """Fetch the broker's jars once into `<cache>/kafka/libs`; return that folder.

    A marker file written after a successful copy (holding the pom's digest) makes later
    calls free, and a changed pom (new versions) fetches again into a clean folder.
    """
    _ensure_java_and_maven()
    # The cache is shared by all profiles: `dev` and `test` starting at once fetch only once.
    with procs.file_lock(kafka_home() / "fetch.lock"):
        return _fetch_jars()


def _fetch_jars() -> Path:
    libs = _libs_dir()
    marker = _marker()
    digest = _pom_digest()
    if marker.is_file() and marker.read_text().strip() == digest and libs.is_dir():
        return libs
    home = kafka_home()
    home.mkdir(parents=True, exist_ok=True)
    pom = home / "pom.xml"
    pom.write_text(POM_XML)
    marker.unlink(missing_ok=True)
    # Start from an empty folder: jars of another version left here would share the classpath.
    shutil.rmtree(libs, ignore_errors=True)
    argv = [
        "mvn", "-q", "-B", "-f", str(pom),
        f"{DEPENDENCY_PLUGIN}:copy-dependencies",
        f"-DoutputDirectory={libs}",
        "-DincludeScope=runtime",
    ]  # fmt: skip
    print(
        f"devstack: fetching Apache Kafka {KAFKA_VERSION} jars with Maven (first run only)",
        flush=True,
    )
    started = time.monotonic()
    result = subprocess.run(argv, cwd=home, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"Maven could not fetch the Kafka jars (exit {result.returncode}):\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    if not any(libs.glob("kafka_2.13-*.jar")):
        raise RuntimeError(f"Maven finished but {libs} has no kafka_2.13 jar")
    marker.write_text(digest + "\n")
    count = len(list(libs.glob("*.jar")))
    print(f"devstack: {count} jars in {libs} ({time.monotonic() - started:.1f}s)", flush=True)
    return libs


# --- one broker per profile ------------------------------------------------------------


def kafka_dir(profile: str) -> Path:
    return state_dir(profile) / "kafka"


def kafka_log(profile: str) -> Path:
    return logs_dir(profile) / "kafka.log"


def _pidfile(profile: str) -> Path:
    return kafka_dir(profile) / "kafka.pid"


def _java_argv(libs: Path, log4j_file: Path, main: str, *args: str) -> list[str]:
    java = shutil.which("java") or "java"
    # The classpath keeps its '*': java expands it, no shell is involved.
    return [
        java, *JVM_OPTS, f"-Dlog4j2.configurationFile={log4j_file}",
        "-cp", f"{libs}/*", main, *args,
    ]  # fmt: skip


def _format_storage(profile: str, libs: Path, props_file: Path, log4j_file: Path) -> None:
    """Format the KRaft storage once; the cluster id is kept so the same dir restarts."""
    kdir = kafka_dir(profile)
    data_dir = kdir / "data"
    if (data_dir / "meta.properties").is_file():
        return
    id_file = kdir / "cluster.id"
    if id_file.is_file() and id_file.read_text().strip():
        cluster_id = id_file.read_text().strip()
    else:
        out = subprocess.run(
            ["java", "-cp", f"{libs}/*", "kafka.tools.StorageTool", "random-uuid"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        cluster_id = out.stdout.strip().splitlines()[-1]
        id_file.write_text(cluster_id + "\n")
    # No --standalone: with controller.quorum.voters set (static quorum) 4.1.1 rejects it.
    argv = _java_argv(
        libs, log4j_file, "kafka.tools.StorageTool",
        "format", "-t", cluster_id, "-c", str(props_file), "--ignore-formatted",
    )  # fmt: skip
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"kafka-storage format failed (exit {result.returncode}):\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


@contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    # Failed probes are expected while the broker boots; aiokafka would log each one.
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _probe(bootstrap: str, timeout_s: float) -> bool:
    """One readiness check with a real client: bootstrap, list topics, see our broker."""
    from aiokafka.admin import AIOKafkaAdminClient

    host, _, port = bootstrap.rpartition(":")
    if not procs.port_open(host, int(port)):
        return False  # not listening yet: skip the client and its connection errors
    ms = max(1000, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=ms)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        # A fenced broker is left out of metadata: seeing one broker means it serves clients.
        return bool(cluster.get("brokers"))
    except Exception:
        return False
    finally:
        # A failed probe may leave nothing to close.
        with contextlib.suppress(Exception):
            await admin.close()


def kafka_answers(bootstrap: str, timeout_s: float = 2.0) -> bool:
    with _quiet_aiokafka():
        return procs.run_coro(_probe(bootstrap, timeout_s))


def _wait_ready(profile: str, bootstrap: str, timeout_s: float) -> None:
    async def loop() -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if await _probe(bootstrap, 3.0):
                return
            if not procs.is_running(_pidfile(profile)):
                raise RuntimeError(
                    f"the Kafka broker exited during startup; see {kafka_log(profile)}:\n"
                    f"{procs.tail(kafka_log(profile))}"
                )
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"Kafka at {bootstrap} not usable after {timeout_s:.0f}s; see "
                    f"{kafka_log(profile)}:\n{procs.tail(kafka_log(profile))}"
                )
            await asyncio.sleep(0.25)

    with _quiet_aiokafka():
        procs.run_coro(loop())


def ensure_kafka(
    profile: str,
    port: int | None = None,
    controller_port: int | None = None,
) -> str:
    """Make sure the profile's broker runs and serves clients; return `127.0.0.1:<port>`.

    Idempotent: a running, answering broker returns at once. Ports default to the env
    overrides, else dev 19092/19093 and test 19192/19193.
    """
    d_port, d_ctrl = default_ports(profile)
    port = port or d_port
    controller_port = controller_port or d_ctrl
    # Serialise concurrent calls: two JVMs racing for one port would leave a pidfile naming
    # the loser.
    with procs.file_lock(state_dir(profile) / "kafka.lock"):
        return _ensure_kafka_locked(profile, port, controller_port)


def _ensure_kafka_locked(profile: str, port: int, controller_port: int) -> str:
    bootstrap = f"127.0.0.1:{port}"
    kdir = kafka_dir(profile)
    props_file = kdir / "server.properties"
    pidfile = _pidfile(profile)

    if procs.is_running(pidfile):
        current = parse_properties(props_file.read_text()) if props_file.is_file() else {}
        if current.get("advertised.listeners") == f"PLAINTEXT://{bootstrap}":
            if kafka_answers(bootstrap):
                return bootstrap
            # Running but not answering yet (e.g. another `up` just started it): wait.
            _wait_ready(profile, bootstrap, READY_TIMEOUT_S)
            return bootstrap
        print(f"devstack: Kafka ({profile}) runs with other ports; restarting it", flush=True)
        stop_kafka(profile)

    for p in (port, controller_port):
        if procs.port_open("127.0.0.1", p):
            raise RuntimeError(
                f"port 127.0.0.1:{p} is taken by another process, not by this profile's "
                f"Kafka; stop it or choose other ports ({PORT_ENV}, {CONTROLLER_PORT_ENV})"
            )

    libs = ensure_kafka_jars()
    data_dir = kdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    log4j_file = kdir / "log4j2.properties"
    log4j_file.write_text(LOG4J2_PROPERTIES)
    props_file.write_text(render_server_properties(port, controller_port, data_dir))
    _format_storage(profile, libs, props_file, log4j_file)

    argv = _java_argv(libs, log4j_file, "kafka.Kafka", str(props_file))
    procs.start_detached(argv, log_file=kafka_log(profile), pidfile=pidfile, cwd=kdir)
    _wait_ready(profile, bootstrap, READY_TIMEOUT_S)
    return bootstrap


def kafka_running(profile: str) -> bool:
    return procs.is_running(_pidfile(profile))


def stop_kafka(profile: str, timeout: float = 30.0) -> bool:
    """Controlled shutdown (SIGTERM), SIGKILL after `timeout`. True if it was running."""
    return procs.stop(_pidfile(profile), timeout)


def kill_kafka(profile: str) -> bool:
    """SIGKILL the broker (a crash, for fault tests); `restart_kafka` or `ensure_kafka` again."""
    return procs.kill(_pidfile(profile))


def restart_kafka(profile: str, *, hard: bool = True) -> str:
    """Kill (or stop) the broker and start it again on the same ports and data."""
    props_file = kafka_dir(profile) / "server.properties"
    props = parse_properties(props_file.read_text()) if props_file.is_file() else {}
    port = ctrl = None
    if "advertised.listeners" in props:
        port = int(props["advertised.listeners"].rsplit(":", 1)[1])
    if "controller.quorum.voters" in props:
        ctrl = int(props["controller.quorum.voters"].rsplit(":", 1)[1])
    if hard:
        kill_kafka(profile)
    else:
        stop_kafka(profile)
    return ensure_kafka(profile, port, ctrl)


# --- topics ------------------------------------------------------------------------------

TOPIC_ALREADY_EXISTS = 36


async def acreate_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int = 3,
    *,
    configs: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> None:
    """Create topics (existing ones are fine) and wait until all show leaders in metadata."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    if not names:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    await admin.start()
    try:
        new = [NewTopic(n, partitions, 1, topic_configs=dict(configs or {})) for n in names]
        response = await admin.create_topics(new, timeout_ms=int(timeout_s * 1000))
        errors = [
            (err[0], err[1], err[2] if len(err) > 2 else "")
            for err in response.topic_errors
            if err[1] not in (0, TOPIC_ALREADY_EXISTS)
        ]
        if errors:
            raise RuntimeError(f"creating topics failed: {errors}")
        deadline = time.monotonic() + timeout_s
        while True:
            described = await admin.describe_topics(list(names))
            ready = {
                t["topic"]
                for t in described
                if t["error_code"] == 0
                and t["partitions"]
                and all(p["leader"] >= 0 for p in t["partitions"])
            }
            if ready >= set(names):
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"topics not visible after {timeout_s}s: {set(names) - ready}")
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


def create_topics(
    bootstrap: str,
    names: Sequence[str],
    partitions: int = 3,
    *,
    configs: dict[str, str] | None = None,
    timeout_s: float = 30.0,
) -> None:
    """Sync wrapper of `acreate_topics` (usable from sync code and from a running loop)."""
    procs.run_coro(
        acreate_topics(bootstrap, names, partitions, configs=configs, timeout_s=timeout_s)
    )
