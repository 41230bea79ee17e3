"""The containerised stack (docker-compose.yml, Dockerfile, .dockerignore), checked by parsing.

No Docker engine is needed: the files are read as YAML/text and compared with what `make up`
runs. `docker compose config` is tried only when a docker client with the compose plugin is
installed (it validates the file offline).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

#: service name -> (module under `cascade.`, HTTP port)
APP_SERVICES: dict[str, tuple[str, int]] = {
    "intake": ("intake", 8001),
    "approvals": ("approvals", 8002),
    "runner": ("runner", 8003),
    "ns-pusher": ("ns_pusher", 8004),
    "verifier": ("verifier", 8005),
    "mcp": ("mcp", 8006),
    "netsuite-sim": ("netsuite_sim", 8009),
}
INFRA_SERVICES = ("kafka", "postgres", "s3")
PREPARE = "prepare"
LONG_RUNNING = (*INFRA_SERVICES, *APP_SERVICES)
#: services that run our image: the one-shot `prepare` and the app services
IMAGE_SERVICES = (PREPARE, *APP_SERVICES)

#: module under `cascade.` -> the workspace package folder that ships it
MODULE_HOMES: dict[str, str] = {
    "intake": "services/intake",
    "approvals": "services/approvals",
    "runner": "services/runner",
    "ns_pusher": "services/ns-pusher",
    "verifier": "services/verifier",
    "mcp": "services/mcp",
    "netsuite_sim": "tools/netsuite-sim",
    "devstack": "tools/devstack",
}
#: may not be written yet; its module check is skipped (not failed) while the folder is absent
DB_PASSWORD_REF = "${CASCADE_DB_PASSWORD:-cascade}"
DATABASE_URL = f"postgresql+asyncpg://cascade:{DB_PASSWORD_REF}@postgres:5432/cascade"
NETSUITE_URL = "http://netsuite-sim:8009"
LOOPBACK = "127.0.0.1"
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)
#: `${NAME}` / `${NAME:?err}` / `${NAME?err}`: a value that must come from the environment
REQUIRED_REF = re.compile(r"^\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::?\?[^}]*)?\}$")
#: `${NAME:-default}`, `${NAME-default}`, `${NAME:=default}`, `${NAME=default}`
DEFAULTED_REF = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*):?[-=](?P<default>[^}]*)\}")
URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a YAML mapping"
    assert isinstance(data.get("services"), dict), "docker-compose.yml has no `services:` map"
    return data


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    spec = compose["services"].get(name)
    assert isinstance(spec, dict), f"service {name!r} is missing from docker-compose.yml"
    return spec


def env_of(spec: dict[str, Any]) -> dict[str, str | None]:
    """`environment:` as a dict, whether written as a map or as a `KEY=value` list."""
    raw = spec.get("environment") or {}
    if isinstance(raw, list):
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in raw)
        return {key: value for key, value in pairs}
    out: dict[str, str | None] = {}
    for key, value in raw.items():
        if isinstance(value, bool):  # compose turns YAML booleans into "true"/"false"
            out[key] = str(value).lower()
        else:
            out[key] = None if value is None else str(value)
    return out


def depends_on(spec: dict[str, Any]) -> dict[str, str]:
    """`depends_on:` as {service: condition}; the short list form means `service_started`."""
    raw = spec.get("depends_on") or {}
    if isinstance(raw, list):
        return dict.fromkeys(raw, "service_started")
    return {dep: (cfg or {}).get("condition", "service_started") for dep, cfg in raw.items()}


def healthcheck_text(spec: dict[str, Any]) -> str:
    test = (spec.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


def published_ports(spec: dict[str, Any]) -> list[tuple[str | None, str | None, int]]:
    """(host ip, host port, container port) of every `ports:` entry; host ip None = all."""
    out: list[tuple[str | None, str | None, int]] = []
    for entry in spec.get("ports") or []:
        if isinstance(entry, dict):
            published = entry.get("published")
            out.append(
                (
                    entry.get("host_ip"),
                    None if published is None else str(published),
                    int(entry["target"]),
                )
            )
            continue
        text = str(entry).split("/", 1)[0]  # drop "/tcp"
        if text.startswith("["):  # "[::1]:8001:8001"
            host_ip, _, rest = text[1:].partition("]:")
            host_port, _, container = rest.rpartition(":")
            out.append((host_ip, host_port or None, int(container)))
            continue
        parts = text.split(":")
        if len(parts) == 3:
            out.append((parts[0] or None, parts[1] or None, int(parts[2])))
        elif len(parts) == 2:
            out.append((None, parts[0], int(parts[1])))
        else:
            out.append((None, None, int(parts[0])))
    return out


def workspace_members() -> tuple[list[str], list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    workspace = data.get("tool", {}).get("uv", {}).get("workspace", {})
    return list(workspace.get("members", [])), list(workspace.get("exclude", []))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: comments dropped, `\\` continuations joined."""
    assert DOCKERFILE.is_file(), f"{DOCKERFILE} is missing"
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical = pending + line
        pending = ""
        word, _, rest = logical.partition(" ")
        out.append((word.upper(), " ".join(rest.split())))
    return out


def dockerfile_stages() -> list[tuple[str, list[tuple[str, str]]]]:
    """(base image, instructions) per build stage, in order."""
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    for word, args in dockerfile_instructions():
        if word == "FROM":
            tokens = [t for t in args.split() if not t.startswith("--")]
            stages.append((tokens[0], []))
        elif stages:
            stages[-1][1].append((word, args))
    return stages


def dockerignore_excludes(path: str) -> bool:
    """Whether Docker leaves `path` out of the build context (last matching rule wins; a rule
    matching a parent folder applies to everything below it)."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            else:
                char = pattern[i]
                regex += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
                i += 1
        rules.append((negate, re.compile(regex + r"\Z")))
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for negate, rule in rules:
        if any(rule.match(candidate) for candidate in candidates):
            excluded = not negate
    return excluded


# --- the services --------------------------------------------------------------------------


def test_expected_services_exist(compose: dict[str, Any]) -> None:
    expected = {*INFRA_SERVICES, PREPARE, *APP_SERVICES}
    missing = sorted(expected - set(compose["services"]))
    assert not missing, f"docker-compose.yml lacks services {missing}"


def test_kafka_is_a_single_kraft_node(compose: dict[str, Any]) -> None:
    kafka = service(compose, "kafka")
    image = str(kafka.get("image", ""))
    assert re.fullmatch(r"apache/kafka:4\.1\.\d+", image), (
        f"kafka must run image apache/kafka:4.1.x, not {image!r}"
    )
    env = env_of(kafka)
    problems: list[str] = []

    def expect(key: str, wanted: str) -> None:
        if env.get(key) != wanted:
            problems.append(f"{key}={env.get(key)!r} (want {wanted!r})")

    node_id = env.get("KAFKA_NODE_ID")
    if not node_id:
        problems.append("KAFKA_NODE_ID is not set")
    roles = set((env.get("KAFKA_PROCESS_ROLES") or "").split(","))
    if roles != {"broker", "controller"}:
        problems.append(f"KAFKA_PROCESS_ROLES={env.get('KAFKA_PROCESS_ROLES')!r}")
    listeners = (env.get("KAFKA_LISTENERS") or "").split(",")
    for wanted in ("PLAINTEXT://:9092", "CONTROLLER://:9093"):
        if wanted not in listeners:
            problems.append(f"KAFKA_LISTENERS lacks {wanted}")
    advertised = (env.get("KAFKA_ADVERTISED_LISTENERS") or "").split(",")
    if "PLAINTEXT://kafka:9092" not in advertised:
        problems.append("KAFKA_ADVERTISED_LISTENERS lacks PLAINTEXT://kafka:9092")
    expect("KAFKA_CONTROLLER_QUORUM_VOTERS", f"{node_id}@kafka:9093")
    if "CONTROLLER" not in (env.get("KAFKA_CONTROLLER_LISTENER_NAMES") or "").split(","):
        problems.append("KAFKA_CONTROLLER_LISTENER_NAMES lacks CONTROLLER")
    for key in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR",
    ):
        expect(key, "1")
    expect("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
    expect("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "false")
    expect("KAFKA_NUM_PARTITIONS", "3")
    # Listeners beyond PLAINTEXT/CONTROLLER need a security protocol, or the broker won't start.
    protocol_map = env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
    names = {item.split("://", 1)[0] for item in listeners + advertised if "://" in item}
    if protocol_map is not None:
        mapped = {item.split(":", 1)[0] for item in protocol_map.split(",")}
        if names - mapped:
            problems.append(f"listeners {sorted(names - mapped)} lack a security protocol")
    elif names - {"PLAINTEXT", "CONTROLLER"}:
        problems.append(f"listeners {sorted(names)} need KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
    assert not problems, "kafka environment is wrong: " + "; ".join(problems)


def test_kafka_host_port_is_advertised_on_loopback(compose: dict[str, Any]) -> None:
    """A port published to the host is useless unless the broker tells host clients to use it."""
    kafka = service(compose, "kafka")
    advertised = (env_of(kafka).get("KAFKA_ADVERTISED_LISTENERS") or "").split(",")
    for _, host_port, _ in published_ports(kafka):
        assert any(
            item.endswith((f"//127.0.0.1:{host_port}", f"//localhost:{host_port}"))
            for item in advertised
        ), f"kafka publishes host port {host_port} but advertises no 127.0.0.1:{host_port} listener"


def test_kafka_healthcheck_and_volume(compose: dict[str, Any]) -> None:
    kafka = service(compose, "kafka")
    check = healthcheck_text(kafka)
    for part in ("/opt/kafka/bin/kafka-topics.sh", "--list"):
        assert part in check, (
            f"kafka healthcheck should list topics with /opt/kafka/bin/kafka-topics.sh, "
            f"got {check!r}"
        )
    assert "--bootstrap-server localhost:9092" in check, (
        f"kafka healthcheck should ask the broker at localhost:9092, got {check!r}"
    )
    assert_named_volume(compose, "kafka")


def test_postgres(compose: dict[str, Any]) -> None:
    postgres = service(compose, "postgres")
    image = str(postgres.get("image", ""))
    assert re.fullmatch(
        r"(?:docker\.io/)?(?:library/)?postgres:\d+(?:\.\d+)?(?:-[a-z0-9.]+)?", image
    ), f"postgres must run the official image pinned to a major (e.g. postgres:17), not {image!r}"
    env = env_of(postgres)
    wanted = {
        "POSTGRES_DB": "cascade",
        "POSTGRES_USER": "cascade",
        "POSTGRES_PASSWORD": DB_PASSWORD_REF,
    }
    wrong = {key: env.get(key) for key, value in wanted.items() if env.get(key) != value}
    assert not wrong, f"postgres environment is wrong: {wrong} (want {wanted})"
    check = healthcheck_text(postgres)
    for part in ("pg_isready", "-U cascade", "-d cascade"):
        assert part in check, (
            f"postgres healthcheck should be `pg_isready -U cascade -d cascade`, got {check!r}"
        )
    assert_named_volume(compose, "postgres")


def assert_named_volume(compose: dict[str, Any], name: str) -> None:
    declared = set(compose.get("volumes") or {})
    sources = []
    for volume in service(compose, name).get("volumes") or []:
        source = volume.get("source") if isinstance(volume, dict) else str(volume).split(":")[0]
        sources.append(source)
    assert any(source in declared for source in sources), (
        f"{name} keeps its data in no named volume (mounts {sources}, declared {sorted(declared)})"
    )


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_long_running_service_has_healthcheck(compose: dict[str, Any], name: str) -> None:
    check = service(compose, name).get("healthcheck") or {}
    assert check.get("test"), f"{name} has no healthcheck"
    assert not check.get("disable"), f"{name} has its healthcheck disabled"


@pytest.mark.parametrize(("name", "port"), [(n, p) for n, (_, p) in APP_SERVICES.items()])
def test_app_service_healthcheck_hits_healthz(
    compose: dict[str, Any], name: str, port: int
) -> None:
    check = healthcheck_text(service(compose, name))
    url = f"http://127.0.0.1:{port}/healthz"
    assert url in check, f"{name} healthcheck should request {url}, got {check!r}"
    for part in ("python", "urllib"):
        assert part in check, (
            f"{name} healthcheck should use python's urllib (the image has no curl), got {check!r}"
        )
    for tool in ("curl", "wget"):
        assert tool not in check, f"{name} healthcheck needs {tool}, which the image lacks"


@pytest.mark.parametrize("name", list(APP_SERVICES))
def test_app_service_restarts_unless_stopped(compose: dict[str, Any], name: str) -> None:
    restart = service(compose, name).get("restart")
    assert restart == "unless-stopped", f"{name} has restart={restart!r}, want 'unless-stopped'"


# --- one image, many commands ----------------------------------------------------------------


def test_our_services_share_one_image_built_from_the_root_dockerfile(
    compose: dict[str, Any],
) -> None:
    images = {name: service(compose, name).get("image") for name in IMAGE_SERVICES}
    assert None not in images.values(), f"every one of {IMAGE_SERVICES} needs `image:`: {images}"
    assert len(set(images.values())) == 1, (
        f"prepare and the app services must run the same image, got {images}"
    )
    builds: dict[str, Any] = {
        name: service(compose, name)["build"]
        for name in IMAGE_SERVICES
        if service(compose, name).get("build") is not None
    }
    assert builds, "no service builds our image: give `prepare` a `build:` section"
    distinct = {repr(build) for build in builds.values()}
    assert len(distinct) == 1, f"services build the image differently: {builds}"
    build = next(iter(builds.values()))
    context, dockerfile = (
        (build, "Dockerfile")
        if isinstance(build, str)
        else (build.get("context", "."), build.get("dockerfile", "Dockerfile"))
    )
    assert (ROOT / context).resolve() == ROOT, (
        f"build context must be the repo root, got {context!r}"
    )
    assert (ROOT / context / dockerfile).resolve() == DOCKERFILE, (
        f"the image must be built from the root Dockerfile, got {dockerfile!r}"
    )
    for name in IMAGE_SERVICES:
        if name not in builds:
            policy = service(compose, name).get("pull_policy", "missing")
            assert policy in {"missing", "if_not_present", "never"}, (
                f"{name} runs the locally built image but has pull_policy={policy!r}"
            )


def command_module(compose: dict[str, Any], name: str) -> str:
    command = service(compose, name).get("command")
    assert isinstance(command, list), f"{name} command must be an exec-form list, got {command!r}"
    assert command[:2] == ["python", "-m"], (
        f"{name} command must be ['python', '-m', 'cascade.<module>', ...], got {command!r}"
    )
    assert len(command) >= 3, f"{name} command names no module: {command!r}"
    module = str(command[2])
    assert module.startswith("cascade."), f"{name} runs {module!r}, not a cascade.* module"
    return module.removeprefix("cascade.")


@pytest.mark.parametrize(("name", "module"), [(n, m) for n, (m, _) in APP_SERVICES.items()])
def test_app_service_runs_its_module(compose: dict[str, Any], name: str, module: str) -> None:
    command = service(compose, name)["command"]
    assert command_module(compose, name) == module, (
        f"{name} should run ['python', '-m', 'cascade.{module}'], got {command!r}"
    )
    assert len(command) == 3, f"{name} passes extra arguments: {command!r}"


def test_app_commands_are_distinct(compose: dict[str, Any]) -> None:
    commands = [tuple(service(compose, name).get("command") or ()) for name in APP_SERVICES]
    duplicates = sorted({" ".join(c) for c in commands if commands.count(c) > 1})
    assert not duplicates, f"several app services run the same command: {duplicates}"


def test_prepare_runs_devstack_prepare(compose: dict[str, Any]) -> None:
    command = service(compose, PREPARE).get("command")
    assert command == ["python", "-m", "cascade.devstack", "prepare"], (
        f"prepare should run ['python', '-m', 'cascade.devstack', 'prepare'], got {command!r}"
    )


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_command_module_is_in_the_workspace(compose: dict[str, Any], name: str) -> None:
    module = command_module(compose, name)
    home = MODULE_HOMES.get(module)
    assert home is not None, f"{name} runs cascade.{module}, which no workspace package ships"
    package = ROOT / home / "src" / "cascade" / module
    assert package.is_dir(), f"{name} runs cascade.{module}, but {package} does not exist"
    members, excluded = workspace_members()
    in_workspace = any(fnmatch.fnmatch(home, m) for m in members) and not any(
        fnmatch.fnmatch(home, e) for e in excluded
    )
    assert in_workspace, (
        f"{home} is not a uv workspace member ({members}), so `uv sync --all-packages` in the "
        f"image will not install cascade.{module} and {name} cannot start"
    )


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_command_module_can_run_with_dash_m(compose: dict[str, Any], name: str) -> None:
    module = command_module(compose, name)
    home = MODULE_HOMES.get(module)
    package = ROOT / str(home) / "src" / "cascade" / module
    assert package.is_dir(), f"{name} runs cascade.{module}, but {package} does not exist"
    assert (package / "__main__.py").is_file(), (
        f"`python -m cascade.{module}` ({name}) needs {package / '__main__.py'}"
    )


# --- start order -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(APP_SERVICES))
def test_app_service_waits_for_prepare_and_healthy_infra(
    compose: dict[str, Any], name: str
) -> None:
    deps = depends_on(service(compose, name))
    wanted = {
        PREPARE: "service_completed_successfully",
        "kafka": "service_healthy",
        "postgres": "service_healthy",
        "s3": "service_healthy",
    }
    wrong = {dep: deps.get(dep) for dep, condition in wanted.items() if deps.get(dep) != condition}
    assert not wrong, f"{name} depends_on is wrong for {wrong}; want {wanted}"


def test_s3_is_the_seaweedfs_server_with_the_bucket_and_the_services_use_it(
    compose: dict[str, Any],
) -> None:
    s3 = service(compose, "s3")
    assert str(s3["image"]).startswith("chrislusf/seaweedfs:")
    assert "mini" in s3["command"]
    assert "-bucket=cascade" in s3["command"]
    for name in ("runner", "verifier"):
        env = env_of(service(compose, name))
        assert env["CASCADE_OBJECT_STORE_ENDPOINT_URL"] == "http://s3:8333"
        assert env["CASCADE_OBJECT_STORE_BUCKET"] == "cascade"
        secret = env["CASCADE_OBJECT_STORE_SECRET_ACCESS_KEY"]
        assert secret == env_of(s3)["AWS_SECRET_ACCESS_KEY"], "one key pair on both sides"


def test_prepare_waits_for_healthy_infra_and_runs_once(compose: dict[str, Any]) -> None:
    prepare = service(compose, PREPARE)
    deps = depends_on(prepare)
    for infra in INFRA_SERVICES:
        assert deps.get(infra) == "service_healthy", (
            f"prepare must depend on {infra} with condition service_healthy, "
            f"got {deps.get(infra)!r}"
        )
    restart = prepare.get("restart")
    assert restart == "no", (
        f'prepare must have restart: "no" (quoted: a bare no is YAML false), got {restart!r}'
    )


# --- exposure and secrets --------------------------------------------------------------------


@pytest.mark.parametrize("name", [*INFRA_SERVICES, PREPARE, *APP_SERVICES])
def test_ports_are_published_on_loopback_only(compose: dict[str, Any], name: str) -> None:
    spec = service(compose, name)
    assert spec.get("network_mode") != "host", f"{name} uses the host network: every port is open"
    for host_ip, host_port, container in published_ports(spec):
        assert host_ip == LOOPBACK, (
            f"{name} publishes container port {container} (host port {host_port}) on "
            f"{host_ip or 'every interface'}; bind it to {LOOPBACK}, "
            f"e.g. '{LOOPBACK}:{container}:{container}'"
        )


@pytest.mark.parametrize(("name", "port"), [(n, p) for n, (_, p) in APP_SERVICES.items()])
def test_app_service_publishes_its_port(compose: dict[str, Any], name: str, port: int) -> None:
    ports = published_ports(service(compose, name))
    assert any(container == port for _, _, container in ports), (
        f"{name} should publish its port {port} (on {LOOPBACK}), publishes {ports}"
    )


@pytest.mark.parametrize("name", IMAGE_SERVICES)
def test_service_environment_points_at_the_compose_network(
    compose: dict[str, Any], name: str
) -> None:
    env = env_of(service(compose, name))
    wanted = {
        "CASCADE_DATABASE_URL": DATABASE_URL,
        "CASCADE_KAFKA_BOOTSTRAP": "kafka:9092",
        # Inside its container a service must listen on every interface to be reachable.
        "CASCADE_HTTP_HOST": "0.0.0.0",  # noqa: S104
    }
    if name in {"ns-pusher", "verifier"}:
        wanted["CASCADE_NETSUITE_BASE_URL"] = NETSUITE_URL
    wrong = {key: env.get(key) for key, value in wanted.items() if env.get(key) != value}
    assert not wrong, f"{name} environment is wrong: {wrong}; want {wanted}"


def test_approvals_gets_the_admin_token_from_the_environment(compose: dict[str, Any]) -> None:
    env = env_of(service(compose, "approvals"))
    assert "CASCADE_ADMIN_TOKEN" in env, "approvals is not given CASCADE_ADMIN_TOKEN"
    value = env["CASCADE_ADMIN_TOKEN"]
    match = REQUIRED_REF.match(value) if value is not None else None
    assert value is None or (match and match["name"] == "CASCADE_ADMIN_TOKEN"), (
        "approvals' CASCADE_ADMIN_TOKEN must come from the environment with no default "
        f"(${{CASCADE_ADMIN_TOKEN}} or ${{CASCADE_ADMIN_TOKEN:?...}}), got {value!r}"
    )


def test_no_default_secrets_except_the_local_db_password(compose: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for found in DEFAULTED_REF.finditer(text):
        if SECRET_NAME.search(found["name"]) and found[0] != DB_PASSWORD_REF:
            raise AssertionError(f"docker-compose.yml gives a secret a default: {found[0]}")
    for found in URL_PASSWORD.finditer(text):
        assert found["password"] == DB_PASSWORD_REF, (
            f"a URL in docker-compose.yml embeds the password {found['password']!r}; "
            f"use {DB_PASSWORD_REF}"
        )
    for name, spec in compose["services"].items():
        for key, value in env_of(spec).items():
            if not SECRET_NAME.search(key) or value is None or value == DB_PASSWORD_REF:
                continue
            assert REQUIRED_REF.match(value), (
                f"{name} sets {key} to the literal {value!r}; take it from the environment "
                f"(${{{key}}} or ${{{key}:?...}}) instead"
            )


# --- the observability profile ----------------------------------------------------------------

OBSERVABILITY = "observability"
#: service -> (image repository, loopback port it publishes)
OBSERVABILITY_SERVICES = {
    "prometheus": ("prom/prometheus", 9090),
    "grafana": ("grafana/grafana", 3000),
    "jaeger": ("jaegertracing/all-in-one", 16686),
}
PROMETHEUS_CONFIG = ROOT / "deploy/prometheus/prometheus.yml"
GRAFANA_DIR = ROOT / "deploy/grafana"


def bind_mounts(spec: dict[str, Any]) -> dict[str, str]:
    """container path -> host path of each `./host:/container[:ro]` volume."""
    out = {}
    for entry in spec.get("volumes") or []:
        host, container, *_ = str(entry).split(":")
        if host.startswith("./"):
            out[container] = host
    return out


@pytest.mark.parametrize(("name", "image_port"), list(OBSERVABILITY_SERVICES.items()))
def test_observability_services_are_in_their_profile_only(
    compose: dict[str, Any], name: str, image_port: tuple[str, int]
) -> None:
    image, port = image_port
    spec = service(compose, name)
    assert spec.get("profiles") == [OBSERVABILITY], f"{name} must be in the optional profile"
    assert re.fullmatch(rf"{re.escape(image)}:v?\d+\.\d+\.\d+", str(spec.get("image"))), (
        f"{name} must run {image} pinned to a release, not {spec.get('image')!r}"
    )
    assert (LOOPBACK, str(port), port) in published_ports(spec), f"{name} publishes {port}"
    for host_ip, _, container in published_ports(spec):
        assert host_ip == LOOPBACK, f"{name} publishes {container} beyond {LOOPBACK}"
    assert "wget" in healthcheck_text(spec), f"{name} has no healthcheck"
    assert spec.get("restart") == "unless-stopped"


def test_the_default_stack_needs_no_observability_service(compose: dict[str, Any]) -> None:
    for name, spec in compose["services"].items():
        if name in OBSERVABILITY_SERVICES:
            continue
        assert not spec.get("profiles"), f"{name} must start without naming a profile"
        needs = spec.get("depends_on") or {}
        assert not set(needs) & set(OBSERVABILITY_SERVICES), f"{name} waits for an optional one"


def test_prometheus_scrapes_every_service_at_its_metrics_route(compose: dict[str, Any]) -> None:
    mounts = bind_mounts(service(compose, "prometheus"))
    assert mounts.get("/etc/prometheus/prometheus.yml") == "./deploy/prometheus/prometheus.yml"
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    targets: dict[str, str] = {}
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        for static in job["static_configs"]:
            for target in static["targets"]:
                targets[target] = static.get("labels", {}).get("service", "")
    wanted = {
        f"{name}:{port}": name for name, (_, port) in APP_SERVICES.items() if name != "netsuite-sim"
    }
    assert targets == wanted, "one target per Cascade service, labelled with its name"


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(compose: dict[str, Any]) -> None:
    mounts = bind_mounts(service(compose, "grafana"))
    assert mounts["/etc/grafana/provisioning"] == "./deploy/grafana/provisioning"
    dashboard_path = "/var/lib/grafana/dashboards/cascade.json"
    assert mounts[dashboard_path] == "./deploy/grafana/cascade.json"
    provider = yaml.safe_load((GRAFANA_DIR / "provisioning/dashboards/cascade.yml").read_text())
    (only,) = provider["providers"]
    assert dashboard_path.startswith(only["options"]["path"] + "/")
    sources = yaml.safe_load((GRAFANA_DIR / "provisioning/datasources/prometheus.yml").read_text())
    (prometheus,) = sources["datasources"]
    assert prometheus["url"] == "http://prometheus:9090"
    dashboard = json.loads((GRAFANA_DIR / "cascade.json").read_text(encoding="utf-8"))
    used = {
        target["datasource"]["uid"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }
    assert used == {prometheus["uid"]}, "every query asks the provisioned Prometheus"


@pytest.mark.parametrize("name", [n for n in APP_SERVICES if n != "netsuite-sim"])
def test_services_log_json_and_can_export_traces_to_jaeger(
    compose: dict[str, Any], name: str
) -> None:
    env = env_of(service(compose, name))
    assert env.get("CASCADE_LOG_FORMAT") == "${CASCADE_LOG_FORMAT:-json}"
    assert env.get("CASCADE_OTEL_EXPORTER") == "${CASCADE_OTEL_EXPORTER:-none}", "off by default"
    assert env.get("CASCADE_OTEL_ENDPOINT") == "http://jaeger:4318/v1/traces"
    jaeger = env_of(service(compose, "jaeger"))
    assert jaeger.get("COLLECTOR_OTLP_ENABLED") == "true"


# --- Dockerfile and .dockerignore ------------------------------------------------------------


def test_dockerfile_base_image_is_python_3_11_slim() -> None:
    stages = dockerfile_stages()
    assert stages, "the Dockerfile has no FROM"
    stage_names = {
        args.split()[-1].lower()
        for word, args in dockerfile_instructions()
        if word == "FROM" and " as " in f" {args.lower()} "
    }
    external = [base for base, _ in stages if base.lower() not in stage_names]
    wrong = [base for base in external if base.split("@")[0] != "python:3.11-slim"]
    assert not wrong, f"the Dockerfile must build on python:3.11-slim, also uses {wrong}"
    assert stages[-1][0].split("@")[0] == "python:3.11-slim", (
        f"the final image must be based on python:3.11-slim, not {stages[-1][0]!r}"
    )


def test_dockerfile_installs_the_locked_workspace_with_uv() -> None:
    runs = [args for word, args in dockerfile_instructions() if word == "RUN"]
    assert any(re.search(r"\bpip install\b.*\buv==\d+\.\d+\.\d+", run) for run in runs), (
        f"the Dockerfile must install a pinned uv from PyPI (pip install uv==X.Y.Z); RUNs: {runs}"
    )
    syncs = [run for run in runs if re.search(r"\buv sync\b", run)]
    assert any("--frozen" in run for run in syncs), (
        f"the Dockerfile must run `uv sync --frozen` (the lockfile, unchanged); got {syncs}"
    )
    assert any("--no-dev" in run and "--all-packages" in run for run in syncs), (
        f"`uv sync` should install every workspace package without dev tools; got {syncs}"
    )


def test_dockerfile_runtime_stage() -> None:
    _, final = dockerfile_stages()[-1]
    users = [args for word, args in final if word == "USER"]
    assert users, "the final stage never sets USER, so the services run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, f"the final stage runs as {users[-1]!r}; use a non-root user"
    envs = " ".join(args for word, args in final if word == "ENV")
    assert re.search(r"PATH=\S*\.venv/bin", envs), "the final stage does not put .venv/bin on PATH"


def test_dockerfile_bakes_in_no_secrets() -> None:
    for word, args in dockerfile_instructions():
        if word in {"ENV", "ARG"}:
            names = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=|\s|$)", args)
            secret = [name for name in names if SECRET_NAME.search(name)]
            assert not secret, (
                f"the Dockerfile sets {secret} with {word}: secrets belong at run time"
            )
        if word in {"COPY", "ADD"}:
            assert ".env" not in args.split(), f"the Dockerfile copies a .env file: {word} {args}"


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "uv.lock",
        "libs/shared/pyproject.toml",
        "libs/shared/src/cascade/shared/__init__.py",
        "services/intake/src/cascade/intake/__main__.py",
        "tools/devstack/src/cascade/devstack/__init__.py",
        "contracts/example.yaml",
    ],
)
def test_dockerignore_keeps_the_workspace(path: str) -> None:
    assert DOCKERIGNORE.is_file(), f"{DOCKERIGNORE} is missing: the build would send .venv and .git"
    assert not dockerignore_excludes(path), f".dockerignore leaves {path} out of the image"


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "services/intake/.venv/bin/python",
        ".git/HEAD",
        ".env",
        "services/intake/.env",
        ".cascade/dev/stack.env",
        "libs/shared/src/cascade/shared/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_dockerignore_drops_local_state_and_secrets(path: str) -> None:
    assert DOCKERIGNORE.is_file(), f"{DOCKERIGNORE} is missing: the build would send .venv and .git"
    assert dockerignore_excludes(path), f".dockerignore lets {path} into the build context"


# --- the real parser, when there is one -------------------------------------------------------


def test_docker_compose_config_accepts_the_file() -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("no docker client on PATH; `docker compose config` not run")
    try:
        version = subprocess.run(
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"`docker compose version` could not run ({exc}); config check not run")
    if version.returncode != 0:
        reason = (version.stderr or version.stdout).strip().splitlines()
        pytest.skip(
            "the docker client has no compose plugin "
            f"({reason[0] if reason else 'no output'}); `docker compose config` not run"
        )
    env = {
        **os.environ,
        # The file requires it (no default secret); any value will do to parse it.
        "CASCADE_ADMIN_TOKEN": "compose-config-check",
    }
    result = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, (
        f"`docker compose config` rejects docker-compose.yml:\n{result.stderr or result.stdout}"
    )
