"""A real Apache Kafka 4.1.1 cluster (KRaft, combined broker+controller nodes) from Maven jars.

No Docker engine here and Apache's download site may be unreachable, but Maven Central
carries the broker as jars: see shared/guides/kafka-local.md, which this module follows.
A profile runs one node (dev) or a three-voter quorum of three (test: what a production
cluster is, so replication, min ISR and a lost broker are exercised); topics are not made
here but by the product's provisioning (`cascade.shared.topic_admin`).
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
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from cascade.devstack import procs
from cascade.devstack.paths import cache_dir, check_profile, logs_dir, state_dir
from cascade.devstack.settings import DevstackSettings
from cascade.shared.settings import kafka_servers
from cascade.shared.topic_admin.settings import TopicSettings

KAFKA_VERSION = "4.1.1"
LOG4J_VERSION = "2.24.3"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

#: The Kafka-only profile of the tests' three-broker cluster (`cascade.devstack.pytest_plugin`).
TEST_CLUSTER_PROFILE = "test-cluster"

DEFAULT_PORTS: dict[str, tuple[int, int]] = {
    "dev": (19092, 19093),
    "test": (19192, 19193),
    "bench": (19392, 19393),  # `make bench`: the workflow benchmark's own servers
    # The e2e and message-path tests' three-broker cluster (nodes +0/+2/+4), beside the test
    # profile's single broker and sharing its PostgreSQL and S3 server.
    TEST_CLUSTER_PROFILE: (19592, 19593),
}
#: Nodes per profile when CASCADE_DEVSTACK_KAFKA_NODES is unset (others: 1). The test
#: profile's own broker stays single: the whole suite on three brokers took 1.37x the single
#: broker's time, over `make test`'s budget; the e2e and message-path tests run on
#: `test-cluster` instead.
DEFAULT_NODES: dict[str, int] = {TEST_CLUSTER_PROFILE: 3}
PORT_ENV = "CASCADE_DEVSTACK_KAFKA_PORT"
CONTROLLER_PORT_ENV = "CASCADE_DEVSTACK_KAFKA_CONTROLLER_PORT"

#: A node restarted on a loaded machine replays its metadata and catches up first.
READY_TIMEOUT_S = 180.0

JVM_OPTS = (
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
)
#: A node of a cluster: a third of the data each, and three JVMs must fit beside the
#: services (a test node's heap stays under 200 MiB used). The JIT's top tier (C2) is left
#: out: it spent most of a node's first minute of CPU compiling, three times over, on two
#: cores, for throughput a local cluster never needs.
CLUSTER_NODE_JVM_OPTS = (
    "-Xms128m",
    "-Xmx320m",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:TieredStopAtLevel=1",
    "-Djava.awt.headless=true",
)


def jvm_opts(nodes: int) -> tuple[str, ...]:
    """The JVM options of a node of an `nodes`-node cluster."""
    return JVM_OPTS if nodes == 1 else CLUSTER_NODE_JVM_OPTS


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


def default_nodes(profile: str) -> int:
    """Nodes of the profile's cluster: `CASCADE_DEVSTACK_KAFKA_NODES`, else the profile's
    (`DEFAULT_NODES`), else 1."""
    return DevstackSettings().devstack_kafka_nodes or DEFAULT_NODES.get(check_profile(profile), 1)


def cluster_ports(port: int, controller_port: int, nodes: int) -> list[tuple[int, int]]:
    """(client port, controller port) of each node: node i takes both bases + 2i."""
    return [(port + 2 * i, controller_port + 2 * i) for i in range(nodes)]


def bootstrap_servers(cluster: Sequence[tuple[int, int]]) -> str:
    """Every node's client address, comma-separated (as `CASCADE_KAFKA_BOOTSTRAP` holds it)."""
    return ",".join(f"127.0.0.1:{port}" for port, _ in cluster)


def replication_of(nodes: int) -> tuple[int, int]:
    """(replication factor, min ISR) a cluster of `nodes` gives its topics: production's
    3 / 2 from three nodes on, 1 / 1 on fewer (where 2 of 2 would stop every write with one
    node down, which a local stack only risks for nothing)."""
    factor = min(3, nodes)
    return factor, 2 if factor == 3 else 1


def local_topic_settings(nodes: int, partitions: int = 3) -> TopicSettings:
    """How topics on a local cluster of `nodes` are declared (its replication)."""
    factor, min_isr = replication_of(nodes)
    return TopicSettings(
        partitions=partitions, replication_factor=factor, min_insync_replicas=min_isr
    )


def render_server_properties(
    port: int,
    controller_port: int,
    data_dir: Path,
    *,
    cluster: Sequence[tuple[int, int]] | None = None,
    node: int = 0,
) -> str:
    """server.properties for one combined node, exactly as the guide says; `cluster` (every
    node's ports; default this node alone) makes it node `node` of a static quorum.

    The internal-topic overrides matter: with the defaults (replication 3, min ISR 2) consumer
    groups and idempotent/transactional producers fail or hang on one node; from three nodes
    on they are those defaults. The small cleaner buffer matters with a small heap (the
    128 MiB default is allocated at start).
    """
    members = list(cluster or [(port, controller_port)])
    factor, min_isr = (str(n) for n in replication_of(len(members)))
    voters = ",".join(f"{i + 1}@127.0.0.1:{ctrl}" for i, (_, ctrl) in enumerate(members))
    props = {
        "process.roles": "broker,controller",
        "node.id": str(node + 1),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "inter.broker.listener.name": "PLAINTEXT",
        "controller.listener.names": "CONTROLLER",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        "num.partitions": "3",
        "default.replication.factor": factor,
        "min.insync.replicas": min_isr,
        "offsets.topic.replication.factor": factor,
        "offsets.topic.num.partitions": "1",
        "transaction.state.log.replication.factor": factor,
        "transaction.state.log.min.isr": min_isr,
        "transaction.state.log.num.partitions": "1",
        "share.coordinator.state.topic.replication.factor": factor,
        "share.coordinator.state.topic.min.isr": min_isr,
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


# --- the brokers of a profile -------------------------------------------------------------
#
# Node 0 keeps the single broker's paths (kafka/, logs/kafka.log), so a one-node stack looks
# as it always did; node i > 0 lives in kafka/node<i>/ and logs to logs/kafka-<i>.log.


def kafka_dir(profile: str) -> Path:
    return state_dir(profile) / "kafka"


def node_dir(profile: str, node: int = 0) -> Path:
    return kafka_dir(profile) if node == 0 else kafka_dir(profile) / f"node{node}"


def kafka_log(profile: str, node: int = 0) -> Path:
    return logs_dir(profile) / ("kafka.log" if node == 0 else f"kafka-{node}.log")


def node_pidfile(profile: str, node: int = 0) -> Path:
    """The pidfile of one node of the profile's cluster."""
    return node_dir(profile, node) / "kafka.pid"


def _known_nodes(profile: str) -> list[int]:
    """Nodes this profile has state for (started now or before), node 0 always."""
    extra = sorted(
        int(d.name.removeprefix("node"))
        for d in kafka_dir(profile).glob("node*")
        if d.name.removeprefix("node").isdigit()
    )
    return [0, *extra]


def _java_argv(libs: Path, log4j_file: Path, main: str, *args: str, nodes: int = 1) -> list[str]:
    java = shutil.which("java") or "java"
    # The classpath keeps its '*': java expands it, no shell is involved.
    return [
        java, *jvm_opts(nodes), f"-Dlog4j2.configurationFile={log4j_file}",
        "-cp", f"{libs}/*", main, *args,
    ]  # fmt: skip


def _cluster_id(profile: str, libs: Path) -> str:
    """The profile's cluster id, made once and shared by every node's storage."""
    id_file = kafka_dir(profile) / "cluster.id"
    if id_file.is_file() and id_file.read_text().strip():
        return id_file.read_text().strip()
    out = subprocess.run(
        ["java", "-cp", f"{libs}/*", "kafka.tools.StorageTool", "random-uuid"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    cluster_id = out.stdout.strip().splitlines()[-1]
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_text(cluster_id + "\n")
    return cluster_id


def _format_storage(
    cluster_id: str, libs: Path, data_dir: Path, props_file: Path, log4j_file: Path
) -> None:
    """Format a node's KRaft storage once; the kept cluster id lets the same dir restart."""
    if (data_dir / "meta.properties").is_file():
        return
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


async def _probe(bootstrap: str, timeout_s: float, brokers: int = 1) -> bool:
    """One readiness check with a real client: bootstrap, list topics, see `brokers` brokers."""
    from aiokafka.admin import AIOKafkaAdminClient

    servers = kafka_servers(bootstrap)
    listening = [s for s in servers if procs.port_open(*_host_port(s))]
    if len(listening) < brokers:
        return False  # not listening yet: skip the client and its connection errors
    ms = max(1000, int(timeout_s * 1000))
    admin = AIOKafkaAdminClient(bootstrap_servers=listening, request_timeout_ms=ms)
    try:
        await asyncio.wait_for(admin.start(), timeout_s)
        await asyncio.wait_for(admin.list_topics(), timeout_s)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
        # A fenced broker is left out of metadata: seeing all of them means all serve clients.
        return len(cluster.get("brokers") or ()) >= brokers
    except Exception:
        return False
    finally:
        # A failed probe may leave nothing to close.
        with contextlib.suppress(Exception):
            await admin.close()


def _host_port(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    return host, int(port)


def kafka_answers(bootstrap: str, timeout_s: float = 2.0, brokers: int = 1) -> bool:
    with _quiet_aiokafka():
        return procs.run_coro(_probe(bootstrap, timeout_s, brokers))


def _wait_ready(profile: str, bootstrap: str, nodes: int, timeout_s: float) -> None:
    async def loop() -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            if await _probe(bootstrap, 3.0, nodes):
                return
            for node in range(nodes):
                if not procs.is_running(node_pidfile(profile, node)):
                    log = kafka_log(profile, node)
                    raise RuntimeError(
                        f"Kafka node {node} exited during startup; see {log}:\n{procs.tail(log)}"
                    )
            if time.monotonic() >= deadline:
                log = kafka_log(profile)
                raise TimeoutError(
                    f"Kafka at {bootstrap} not usable ({nodes} brokers) after "
                    f"{timeout_s:.0f}s; see {log}:\n{procs.tail(log)}"
                )
            await asyncio.sleep(0.25)

    with _quiet_aiokafka():
        procs.run_coro(loop())


def ensure_kafka(
    profile: str,
    port: int | None = None,
    controller_port: int | None = None,
    nodes: int | None = None,
) -> str:
    """Make sure the profile's cluster runs and serves clients; return its bootstrap servers
    (`127.0.0.1:<port>[,...]`, every node).

    Idempotent: a running, answering cluster returns at once; a node that died (a fault
    test's kill) is started again on its data. Ports default to the env overrides, else dev
    19092/19093 and test 19192/19193; node i takes port + 2i and controller port + 2i.
    `nodes` defaults to `CASCADE_DEVSTACK_KAFKA_NODES`, else the profile's (`DEFAULT_NODES`),
    else 1.
    """
    d_port, d_ctrl = default_ports(profile)
    port = port or d_port
    controller_port = controller_port or d_ctrl
    nodes = nodes or default_nodes(profile)
    # Serialise concurrent calls: two JVMs racing for one port would leave a pidfile naming
    # the loser.
    with procs.file_lock(state_dir(profile) / "kafka.lock"):
        return _ensure_kafka_locked(profile, cluster_ports(port, controller_port, nodes))


def _ensure_kafka_locked(profile: str, cluster: Sequence[tuple[int, int]]) -> str:
    nodes = len(cluster)
    bootstrap = bootstrap_servers(cluster)
    wanted = [
        render_server_properties(p, c, node_dir(profile, i) / "data", cluster=cluster, node=i)
        for i, (p, c) in enumerate(cluster)
    ]
    current = [_read_props(profile, i) for i in range(nodes)]
    same = all(
        parse_properties(w).get(k) == cur.get(k)
        for w, cur in zip(wanted, current, strict=True)
        for k in ("advertised.listeners", "controller.quorum.voters")
    )
    running = [i for i in _known_nodes(profile) if procs.is_running(node_pidfile(profile, i))]
    if running and (not same or any(i >= nodes for i in running)):
        print(
            f"devstack: Kafka ({profile}) runs with other ports or nodes; restarting it", flush=True
        )
        stop_kafka(profile)
        running = []
    if not same:
        # Another quorum (voters) cannot take over a metadata log written by the old one:
        # a local stack's topics are recreated by `prepare` and the tests anyway.
        _reset_data(profile)
    missing = [i for i in range(nodes) if i not in running]
    if not missing:
        if kafka_answers(bootstrap, brokers=nodes):
            return bootstrap
        # Running but not answering yet (e.g. another `up` just started it): wait.
        _wait_ready(profile, bootstrap, nodes, READY_TIMEOUT_S)
        return bootstrap

    for i in missing:
        for p in cluster[i]:
            if procs.port_open("127.0.0.1", p):
                raise RuntimeError(
                    f"port 127.0.0.1:{p} is taken by another process, not by this profile's "
                    f"Kafka; stop it or choose other ports ({PORT_ENV}, {CONTROLLER_PORT_ENV})"
                )
    libs = ensure_kafka_jars()
    cluster_id = _cluster_id(profile, libs)
    for i in missing:
        ndir = node_dir(profile, i)
        data_dir = ndir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        log4j_file = ndir / "log4j2.properties"
        log4j_file.write_text(LOG4J2_PROPERTIES)
        props_file = ndir / "server.properties"
        props_file.write_text(wanted[i])
        _format_storage(cluster_id, libs, data_dir, props_file, log4j_file)
    # All missing nodes start before any is waited for: a quorum forms only from a majority.
    for i in missing:
        ndir = node_dir(profile, i)
        argv = _java_argv(
            libs, ndir / "log4j2.properties", "kafka.Kafka", str(ndir / "server.properties"),
            nodes=nodes,
        )  # fmt: skip
        procs.start_detached(
            argv, log_file=kafka_log(profile, i), pidfile=node_pidfile(profile, i), cwd=ndir
        )
    _wait_ready(profile, bootstrap, nodes, READY_TIMEOUT_S)
    return bootstrap


def _read_props(profile: str, node: int) -> dict[str, str]:
    props_file = node_dir(profile, node) / "server.properties"
    return parse_properties(props_file.read_text()) if props_file.is_file() else {}


def _reset_data(profile: str) -> None:
    for i in _known_nodes(profile):
        shutil.rmtree(node_dir(profile, i) / "data", ignore_errors=True)


def kafka_nodes(profile: str) -> int:
    """How many nodes the profile's cluster was last configured with (1 if never)."""
    voters = _read_props(profile, 0).get("controller.quorum.voters", "")
    return max(1, len([v for v in voters.split(",") if v]))


def kafka_running(profile: str) -> bool:
    """Every node of the profile's cluster runs."""
    return all(procs.is_running(node_pidfile(profile, i)) for i in range(kafka_nodes(profile)))


def stop_kafka(profile: str, timeout: float = 30.0) -> bool:
    """Controlled shutdown (SIGTERM) of every node at once, SIGKILL after `timeout`. True if
    any was running.

    At once, not one by one: the last nodes of a quorum stopped in turn would wait out
    their controlled shutdown with no controller left to grant it.
    """
    nodes = _known_nodes(profile)
    with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
        stopped = list(pool.map(lambda i: procs.stop(node_pidfile(profile, i), timeout), nodes))
    return any(stopped)


def kill_kafka(profile: str, node: int | None = None) -> bool:
    """SIGKILL one node (or all: None), a crash for fault tests; `ensure_kafka` again."""
    nodes = _known_nodes(profile) if node is None else [node]
    return any([procs.kill(node_pidfile(profile, i)) for i in nodes])


def restart_kafka(profile: str, *, hard: bool = True) -> str:
    """Kill (or stop) the cluster and start it again on the same ports and data."""
    props = _read_props(profile, 0)
    port = ctrl = None
    if "advertised.listeners" in props:
        port = int(props["advertised.listeners"].rsplit(":", 1)[1])
    if "controller.quorum.voters" in props:
        ctrl = int(props["controller.quorum.voters"].split(",")[0].rsplit(":", 1)[1])
    nodes = kafka_nodes(profile)
    if hard:
        kill_kafka(profile)
    else:
        stop_kafka(profile)
    return ensure_kafka(profile, port, ctrl, nodes)
