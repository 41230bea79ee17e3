"""The pure parts of the devstack: rendering, paths, parsing. No servers needed."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from cascade.devstack import kafka, paths, postgres, procs
from cascade.devstack.__main__ import build_parser
from cascade.devstack.infra import (
    StackEndpoints,
    mask_url,
    parse_stack_env,
    render_stack_env,
)

# The exact settings of shared/guides/kafka-local.md for ports 19092/19093.
GUIDE_PROPERTIES = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": "1@127.0.0.1:19093",
    "listeners": "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
    "advertised.listeners": "PLAINTEXT://127.0.0.1:19092",
    "inter.broker.listener.name": "PLAINTEXT",
    "controller.listener.names": "CONTROLLER",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": "/data/kafka",
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
}


def test_server_properties_match_the_guide() -> None:
    text = kafka.render_server_properties(19092, 19093, Path("/data/kafka"))
    # The guide's settings, plus our additions for suites that churn through topics and for
    # an idle broker's cost (no-op metadata records, polling request threads).
    assert kafka.parse_properties(text) == GUIDE_PROPERTIES | {
        "file.delete.delay.ms": "1000",
        "metadata.max.idle.interval.ms": "5000",
        "num.io.threads": "2",
        "num.network.threads": "2",
    }


def test_server_properties_use_the_given_ports() -> None:
    props = kafka.parse_properties(kafka.render_server_properties(19192, 19193, Path("/d")))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19192"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19193"


def test_log4j_keeps_the_readiness_logger() -> None:
    assert "rootLogger.level = warn" in kafka.LOG4J2_PROPERTIES
    assert "kafka.server.BrokerLifecycleManager" in kafka.LOG4J2_PROPERTIES


def test_pom_pins_the_guide_versions() -> None:
    assert "<artifactId>kafka_2.13</artifactId>" in kafka.POM_XML
    assert "<version>4.1.1</version>" in kafka.POM_XML
    assert "<artifactId>log4j-slf4j-impl</artifactId>" in kafka.POM_XML  # SLF4J 1.7 binding
    assert kafka.POM_XML.count("<version>2.24.3</version>") == 2


def test_default_ports_per_profile_and_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (kafka.PORT_ENV, kafka.CONTROLLER_PORT_ENV, postgres.PORT_ENV):
        monkeypatch.delenv(name, raising=False)
    assert kafka.default_ports("dev") == (19092, 19093)
    assert kafka.default_ports("test") == (19192, 19193)
    assert postgres.default_port("dev") == 55432
    assert postgres.default_port("test") == 55433
    monkeypatch.setenv(kafka.PORT_ENV, "29092")
    monkeypatch.setenv(kafka.CONTROLLER_PORT_ENV, "29093")
    monkeypatch.setenv(postgres.PORT_ENV, "45432")
    assert kafka.default_ports("test") == (29092, 29093)
    assert postgres.default_port("test") == 45432


def test_database_url_quotes_credentials() -> None:
    assert (
        postgres.database_url(55433, "cascade", "cascade", "cascade")
        == "postgresql+asyncpg://cascade:cascade@127.0.0.1:55433/cascade"
    )
    assert postgres.database_url(1, "db", "u", "p@ss:/w") == (
        "postgresql+asyncpg://u:p%40ss%3A%2Fw@127.0.0.1:1/db"
    )


def test_postgres_config_is_private() -> None:
    conf = postgres.render_conf(55433, Path("/x/run"))
    assert "listen_addresses = '127.0.0.1'" in conf
    assert "port = 55433" in conf
    assert "unix_socket_directories = '/x/run'" in conf
    assert "max_connections = 200" in conf
    # The application in every line: a statement log says which service ran what.
    assert "log_line_prefix = '%m [%p] %q%u@%d/%a '" in conf
    hba = [
        line.split()
        for line in postgres.render_hba("postgres").splitlines()
        if line and not line.startswith("#")
    ]
    assert hba == [
        ["local", "all", "postgres", "trust"],
        ["host", "all", "all", "127.0.0.1/32", "scram-sha-256"],
    ]


def test_stack_env_round_trips() -> None:
    ep = StackEndpoints("postgresql+asyncpg://c:c@127.0.0.1:55433/cascade", "127.0.0.1:19192")
    text = render_stack_env(ep)
    assert "CASCADE_DATABASE_URL=postgresql+asyncpg://c:c@127.0.0.1:55433/cascade\n" in text
    assert "CASCADE_KAFKA_BOOTSTRAP=127.0.0.1:19192\n" in text
    assert parse_stack_env(text) == ep.env()


def test_stack_env_quotes_unsafe_values() -> None:
    ep = StackEndpoints("postgresql://u:p w'x@h/db?ssl=true&a=b", "h1:9092,h2:9092")
    text = render_stack_env(ep)
    assert "CASCADE_DATABASE_URL='" in text
    assert parse_stack_env(text) == ep.env()


def test_mask_url_hides_the_password() -> None:
    assert mask_url("postgresql+asyncpg://u:secret@h:5/db") == "postgresql+asyncpg://u:***@h:5/db"
    assert mask_url("127.0.0.1:19192") == "127.0.0.1:19192"


def test_paths_follow_cascade_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CASCADE_HOME", str(tmp_path))
    assert paths.repo_root() == tmp_path.resolve()
    assert paths.state_dir("dev") == tmp_path.resolve() / ".cascade" / "dev"
    assert paths.state_dir("test") == tmp_path.resolve() / ".cascade" / "test"
    assert paths.cache_dir() == tmp_path.resolve() / ".cache"


def test_repo_root_walks_up_to_the_workspace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CASCADE_HOME", raising=False)
    (tmp_path / "pyproject.toml").write_text('[tool.uv.workspace]\nmembers = ["pkg"]\n')
    member = tmp_path / "pkg" / "src"
    member.mkdir(parents=True)
    # A member's own pyproject.toml must not be taken for the root.
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "pkg"\n')
    monkeypatch.chdir(member)
    assert paths.repo_root() == tmp_path.resolve()


def test_this_checkout_is_found_from_here() -> None:
    root = paths.repo_root()
    assert (root / "tools" / "devstack").is_dir()


@pytest.mark.parametrize("bad", ["", "Dev", "../x", "a b", "x" * 40])
def test_bad_profile_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid profile"):
        paths.state_dir(bad)


def test_cli_parses_infra_commands() -> None:
    parser = build_parser()
    args = parser.parse_args(["infra", "up", "--profile", "test"])
    assert (args.command, args.infra_command, args.profile) == ("infra", "up", "test")
    args = parser.parse_args(["infra", "down", "--profile", "dev", "--purge"])
    assert (args.infra_command, args.profile, args.purge) == ("down", "dev", True)
    with pytest.raises(SystemExit):
        parser.parse_args(["infra", "up", "--profile", "prod"])


def test_detached_process_start_and_stop(tmp_path: Path) -> None:
    pidfile = tmp_path / "sleep.pid"
    log = tmp_path / "sleep.log"
    # A child that lives until it is stopped: it blocks reading a pipe nobody writes to.
    code = "import os; print('hello', flush=True); os.read(os.pipe()[0], 1)"
    pid = procs.start_detached([sys.executable, "-c", code], log_file=log, pidfile=pidfile)
    try:
        assert procs.running_pid(pidfile) == pid
        assert procs.is_running(pidfile)
        assert procs.stop(pidfile, timeout=5.0)
        assert not procs.is_running(pidfile)
        assert not pidfile.exists()
        assert not procs.stop(pidfile)  # stopping twice is fine
    finally:
        procs.kill(pidfile)


def test_recycled_pid_is_not_ours(tmp_path: Path) -> None:
    pidfile = tmp_path / "x.pid"
    procs.write_pidfile(pidfile, 1)  # pid 1 exists, but with another start time
    pidfile.write_text("1\n999999999999\n")
    assert not procs.is_running(pidfile)


def test_wait_port_times_out() -> None:
    with pytest.raises(TimeoutError):
        procs.wait_port("127.0.0.1", 1, timeout=0.2)


async def test_run_coro_works_inside_a_running_loop() -> None:
    async def answer() -> int:
        # Really suspends on the private loop (a thread's answer), then returns.
        return await asyncio.get_running_loop().run_in_executor(None, int, "42")

    assert procs.run_coro(answer()) == 42


def test_a_secret_file_is_written_once_private_and_never_replaced(tmp_path: Path) -> None:
    from cascade.devstack.stack import _secret_file

    path = tmp_path / "sub" / "secret"
    assert _secret_file(path, lambda: "first") is True
    assert _secret_file(path, lambda: "second") is False
    assert path.read_text() == "first"
    assert path.stat().st_mode & 0o777 == 0o600
    # No staging file is left beside it.
    assert [p.name for p in path.parent.iterdir()] == ["secret"]
