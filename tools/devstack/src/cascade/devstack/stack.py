"""`up`, `down`, `prepare`: the whole local system, as `make up` / `make down` run it."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cascade.devstack import procs
from cascade.devstack.infra import StackEndpoints, add_profile_argument, infra_down, infra_up
from cascade.devstack.netsuite_sim import m2m_env, new_m2m_private_key
from cascade.devstack.paths import logs_dir, repo_root, state_dir
from cascade.devstack.service_process import health_service
from cascade.shared.migrate import upgrade_to_head
from cascade.shared.settings import Settings
from cascade.shared.startup import env_name, known_variables, unknown_variables
from cascade.shared.topic_admin.provision import apply_topics, project_specs


@dataclass(frozen=True)
class ServiceSpec:
    """A service of the system: its module and the Settings field of its port."""

    name: str
    module: str
    port_field: str

    @property
    def port_env(self) -> str:
        """The variable that sets the port (`CASCADE_<FIELD>`)."""
        return env_name(self.port_field)

    @property
    def default_port(self) -> int:
        """The port when the variable is unset: the Settings default, one source of truth."""
        default: int = Settings.model_fields[self.port_field].default
        return default


NETSUITE_SIM = ServiceSpec("netsuite-sim", "cascade.netsuite_sim", "netsuite_sim_port")

SERVICES = (
    # The simulator stands in for NetSuite locally; its test API stays off here.
    NETSUITE_SIM,
    ServiceSpec("intake", "cascade.intake", "intake_port"),
    ServiceSpec("approvals", "cascade.approvals", "approvals_port"),
    ServiceSpec("runner", "cascade.runner", "runner_port"),
    ServiceSpec("ns-pusher", "cascade.ns_pusher", "ns_pusher_port"),
    ServiceSpec("verifier", "cascade.verifier", "verifier_port"),
    ServiceSpec("mcp", "cascade.mcp", "mcp_port"),
)

NETSUITE_URL_ENV = env_name("netsuite_base_url")


def _say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def prepare(
    endpoints: StackEndpoints, topic_prefix: str = "", contracts_dir: Path | None = None
) -> None:
    """Provision every topic (Cascade's and those the contracts' event triggers consume,
    each with its DLQ) as `cascade admin topics apply` does, with the stack's replication,
    and bring the database to the newest schema and reference data.

    Drift the provisioning does not change (fewer partitions, another replication factor)
    stops here, printed: the services would otherwise run on topics nobody declared.
    """
    started = time.monotonic()
    topics = endpoints.topic_settings()
    specs = project_specs(topic_prefix, contracts_dir or Settings().contracts_dir, topics)
    applied = procs.run_coro(apply_topics(endpoints.kafka_bootstrap, specs, topics.admin_timeout_s))
    if applied.drift:
        raise RuntimeError(
            "the topics differ from their spec in ways apply does not change:\n  "
            + "\n  ".join(applied.plan.lines())
        )
    upgrade_to_head(endpoints.database_url)
    _say(f"topics and migrations ready in {time.monotonic() - started:.1f}s")


def admin_token(profile: str) -> tuple[str, str]:
    """The admin API token and where it came from; generated once for local use."""
    from_env = os.environ.get("CASCADE_ADMIN_TOKEN")
    if from_env:
        return from_env, "CASCADE_ADMIN_TOKEN"
    path = repo_root() / ".cascade" / "admin-token"
    if _secret_file(path, lambda: secrets.token_urlsafe(32)):
        _say(f"generated an admin API token into {path} (mode 0600); keep it secret")
    return path.read_text().strip(), str(path)


def local_m2m_env(environ: Mapping[str, str]) -> dict[str, str]:
    """OAuth 2.0 M2M for the local stack (what Oracle asks of new integrations): a key made
    once into .cascade/ (mode 0600), its public half given to the simulator. Nothing when
    CASCADE_NETSUITE_AUTH is set: the operator chose."""
    if environ.get("CASCADE_NETSUITE_AUTH"):
        return {}
    path = repo_root() / ".cascade" / "netsuite-m2m-key.pem"
    if _secret_file(path, new_m2m_private_key):
        _say(f"generated a NetSuite M2M key for the simulator into {path}")
    return m2m_env(path.read_text())


def _secret_file(path: Path, make: Callable[[], str]) -> bool:
    """Put `make()` into `path` (mode 0600 from the start) unless it exists; True if written.

    Written to a private temporary name first, then linked into place: `link` fails when the
    name exists, so two starts racing never both write, and neither ever reads a half-written
    secret (an O_EXCL create of `path` itself would show the loser an empty file)."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
        os.link(staging, path)
    except FileExistsError:
        return False
    finally:
        staging.unlink(missing_ok=True)
    return True


def _pidfile(profile: str, service: ServiceSpec) -> Path:
    return state_dir(profile) / "run" / f"{service.name}.pid"


def _port(service: ServiceSpec, environ: Mapping[str, str] = os.environ) -> int:
    return int(environ.get(service.port_env) or service.default_port)


def services_env(
    environ: Mapping[str, str], endpoints: StackEndpoints, token: str
) -> dict[str, str]:
    """The environment every service of the stack starts with (each adds its own port).

    The stack runs the simulator, so the NetSuite clients (ns-pusher, verifier) talk to the
    simulator's port, not the settings' default 8009, unless CASCADE_NETSUITE_BASE_URL says
    where else to go.
    """
    env = {
        **environ,
        **endpoints.env(),
        "CASCADE_ADMIN_TOKEN": token,
        "CASCADE_CONTRACTS_DIR": str(repo_root() / "contracts"),
    }
    if not environ.get(NETSUITE_URL_ENV):
        env.update(local_m2m_env(environ))
        env[NETSUITE_URL_ENV] = f"http://127.0.0.1:{_port(NETSUITE_SIM, environ)}"
    return env


def start_services(profile: str, endpoints: StackEndpoints, token: str) -> None:
    """Start every service that is not running yet, then wait until all are healthy."""
    env = services_env(os.environ, endpoints, token)
    # Every service would refuse a misspelled variable at start; say it once, up front.
    problems = unknown_variables(env, known_variables())
    if problems:
        raise RuntimeError("refusing to start the services:\n  - " + "\n  - ".join(problems))
    for service in SERVICES:
        pidfile = _pidfile(profile, service)
        if procs.is_running(pidfile):
            continue
        procs.start_detached(
            [sys.executable, "-m", service.module],
            log_file=logs_dir(profile) / f"{service.name}.log",
            pidfile=pidfile,
            cwd=repo_root(),
            env={**env, service.port_env: str(_port(service))},
        )
    for service in SERVICES:
        _wait_healthy(profile, service)


def _wait_healthy(profile: str, service: ServiceSpec, timeout: float = 120.0) -> None:
    url = f"http://127.0.0.1:{_port(service)}/healthz"
    log = logs_dir(profile) / f"{service.name}.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Another program on the port would answer too: only our service's name counts.
        if health_service(url) in (service.name, service.name.replace("-", "_")):
            return
        if not procs.is_running(_pidfile(profile, service)):
            raise RuntimeError(f"{service.name} exited; its log:\n{procs.tail(log)}")
        time.sleep(0.3)
    raise TimeoutError(f"{service.name} not healthy after {timeout}s; log:\n{procs.tail(log)}")


def stop_services(profile: str) -> None:
    """Stop every service this profile started."""
    for service in reversed(SERVICES):
        if procs.stop(_pidfile(profile, service), timeout=20):
            _say(f"stopped {service.name}")


def up(profile: str) -> None:
    """Provision, prepare and start the whole system; print where everything is."""
    started = time.monotonic()
    endpoints = infra_up(profile)
    prepare(endpoints)
    token, token_source = admin_token(profile)
    start_services(profile, endpoints, token)
    _say(f"all services healthy in {time.monotonic() - started:.1f}s total")
    for service in SERVICES:
        log = logs_dir(profile) / f"{service.name}.log"
        _say(f"  {service.name:<10} http://127.0.0.1:{_port(service)}  log: {log}")
    _say(f"  admin API token: from {token_source}")
    approvals = next(service for service in SERVICES if service.name == "approvals")
    ui = f"http://localhost:{_port(approvals)}/"
    _say(f"  approvals UI: {ui} (password: see README, 'Approvals UI')")
    gateway = next(service for service in SERVICES if service.name == "mcp")
    _say(
        f"  MCP for agents: http://127.0.0.1:{_port(gateway)}/mcp with an agent token "
        "(python -m cascade.mcp.tokens_cli mint <name>; README, 'AI agents (MCP)')"
    )


def down(profile: str, purge: bool) -> None:
    """Stop the services, then PostgreSQL and Kafka."""
    stop_services(profile)
    infra_down(profile, purge=purge)


def _cmd(args: argparse.Namespace) -> int:
    if args.command == "up":
        up(args.profile)
    elif args.command == "down":
        down(args.profile, args.purge)
    else:
        prepare(
            StackEndpoints(
                os.environ["CASCADE_DATABASE_URL"], os.environ["CASCADE_KAFKA_BOOTSTRAP"]
            )
        )
    return 0


def register_stack_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add `up`, `down` and `prepare` to the devstack CLI."""
    up_parser = subparsers.add_parser("up", help="provision and start the whole system")
    add_profile_argument(up_parser)
    down_parser = subparsers.add_parser("down", help="stop what `up` started")
    add_profile_argument(down_parser)
    down_parser.add_argument("--purge", action="store_true", help="also delete data")
    subparsers.add_parser(
        "prepare", help="topics + migrations on CASCADE_KAFKA_BOOTSTRAP / CASCADE_DATABASE_URL"
    )
    for parser in (up_parser, down_parser, subparsers.choices["prepare"]):
        parser.set_defaults(handler=_cmd)
