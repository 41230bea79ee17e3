"""Settings for every Cascade process: one `CASCADE_` prefix, one place for defaults.

Read once in a composition root, then passed down; nothing else reads the environment. A
service process builds it with `cascade.shared.startup.load_settings`, which refuses unknown
`CASCADE_*` variables and, with `CASCADE_ENV=production`, the local defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_contracts_dir() -> Path:
    # Walk up from the working directory so `make up` and tests find the repo's contracts
    # without configuration; images set CASCADE_CONTRACTS_DIR explicitly.
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "contracts").is_dir():
            return folder / "contracts"
    return here / "contracts"


def kafka_servers(bootstrap: str) -> list[str]:
    """`host:port,host:port` (`CASCADE_KAFKA_BOOTSTRAP`) as the list of servers Kafka clients
    are given: every node of a cluster, so a client still bootstraps with one of them down."""
    return [server.strip() for server in bootstrap.split(",") if server.strip()]


class Settings(BaseSettings):
    """All configuration of a Cascade process, from `CASCADE_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="CASCADE_", extra="ignore")

    database_url: str = "postgresql+asyncpg://cascade:cascade@127.0.0.1:55432/cascade"
    # Comma-separated: every broker of the cluster (`kafka_servers`).
    kafka_bootstrap: str = "127.0.0.1:19092"
    # Prefix for every topic: tests isolate themselves with it, tenants could too.
    topic_prefix: str = ""
    consumer_group_prefix: str = "cascade"

    http_host: str = "127.0.0.1"
    intake_port: int = 8001
    approvals_port: int = 8002
    runner_port: int = 8003
    ns_pusher_port: int = 8004
    verifier_port: int = 8005
    mcp_port: int = 8006
    netsuite_sim_port: int = 8009

    admin_token: SecretStr | None = None
    admin_name: str = "mike"
    contracts_dir: Path = Field(default_factory=_default_contracts_dir)

    intake_max_body_bytes: int = 64 * 1024
    max_delivery_attempts: int = 5
    redelivery_backoff_ms: int = 200
    # The relay is woken by the commit that staged rows; this poll is only its safety net
    # (rows of a crashed process, a failed publish's back-off come due).
    outbox_poll_ms: int = 5000
    outbox_batch_size: int = 200
    db_pool_size: int = 5

    # Runner: the step executor's safety-net poll (steps run in the transaction that made
    # them due; commits that leave steps due and retry times wake the executor at once, so
    # the poll only finds what a crash left behind), how long a context query may take, and
    # a scale for verify windows (tests and demos shrink 15 minutes to seconds).
    runner_poll_ms: int = 5000
    context_timeout_ms: int = 5000
    verify_window_scale: float = 1.0
    step_jitter_seed: int | None = None

    # Intake's cron scheduler sleeps until the next tick of any cron contract, and at most
    # this long (the safety net: a clock step, a tick another replica left unclaimed). A
    # tick up to `cron_grace_s` late is on time; older ones were missed and follow the
    # contract's `catch_up`.
    cron_poll_s: float = 60.0
    cron_grace_s: float = 60.0

    # NetSuite (SuiteTalk REST); in local use these point at the simulator.
    netsuite_base_url: str = "http://127.0.0.1:8009"
    netsuite_account_id: str = "TSTDRV0000001"
    netsuite_consumer_key: SecretStr = SecretStr("sim-consumer-key")
    netsuite_consumer_secret: SecretStr = SecretStr("sim-consumer-secret")
    netsuite_token_id: SecretStr = SecretStr("sim-token-id")
    netsuite_token_secret: SecretStr = SecretStr("sim-token-secret")
    netsuite_timeout_s: float = 10.0
    netsuite_sim_enable_test_api: bool = False
    # How requests authenticate: `tba` (OAuth 1.0a, the four secrets above) or `oauth2`
    # (machine-to-machine client credentials: a JWT signed with the private key of the
    # certificate mapped in NetSuite, `kid` = its certificate id, exchanged for a bearer
    # token). Oracle asks new integrations to use OAuth 2.0; TBA creation ends with 2027.1.
    netsuite_auth: Literal["tba", "oauth2"] = "tba"
    netsuite_oauth2_client_id: SecretStr = SecretStr("sim-client-id")
    netsuite_oauth2_certificate_id: str = "sim-certificate-id"
    netsuite_oauth2_private_key: SecretStr = SecretStr("")
    netsuite_oauth2_algorithm: Literal["PS256", "ES256"] = "PS256"
    netsuite_oauth2_scope: str = "rest_webservices"

    crash_at: str | None = Field(
        default=None, description="fault injection: kill this process at the named point"
    )

    # ns-pusher: the contract's NetSuite retry policy (defaults are the contract's values;
    # tests scale them down) and how the job poller runs.
    ns_push_max_attempts: int = Field(default=3, ge=1)
    ns_push_backoff_base_ms: int = Field(default=1500, ge=0)
    ns_push_backoff_max_ms: int = Field(default=30000, ge=0)
    # Safety net only: the commit that makes a push due wakes the pusher, and a retry's
    # back-off is slept exactly; `ns_push_workers` pushes run at once.
    ns_push_poll_ms: int = Field(default=15_000, ge=10)
    ns_push_workers: int = Field(default=4, ge=1)
    # A claimed push is retaken by another poller after this; raised to at least twice the
    # NetSuite timeout so a slow but live call is never duplicated.
    ns_push_lease_s: float = Field(default=60.0, gt=0)
    # Fault tests only: a fixed seed makes the full-jitter draws reproducible.
    ns_push_jitter_seed: int | None = None

    # The NetSuite simulator: where it keeps its records, how many calls it serves at once.
    netsuite_sim_data_dir: Path = Path(".cascade/netsuite-sim")
    netsuite_sim_concurrency_limit: int = Field(default=5, ge=1)
    # The public key (PEM) the simulator checks client assertions with, for the certificate
    # id above; unset, its token endpoint refuses every assertion. Tokens live this long.
    netsuite_sim_oauth2_public_key: str = ""
    netsuite_sim_oauth2_token_ttl_s: int = Field(default=3600, ge=1)

    # Verifier: the continuous poller of due checks (woken by the run's end, sleeping until
    # the next due time; `verify_poll_ms` is only its safety net), the seed's cron sweep
    # (UTC; a sixth field means seconds, for tests), how long one check may take and how a
    # failing check is retried before its deadline (back-off scaled by
    # `verify_window_scale` too).
    verify_poller_enabled: bool = True
    verify_poll_ms: int = Field(default=30_000, ge=10)
    verify_workers: int = Field(default=4, ge=1)
    verify_sweep_cron: str = "8,38 * * * *"
    verify_statement_timeout_ms: int = Field(default=5000, ge=1)
    verify_lease_s: float = Field(default=60.0, gt=0)
    verify_retry_base_s: float = Field(default=30.0, gt=0)
    verify_retry_max_s: float = Field(default=300.0, gt=0)

    # Settings validation (issue 10): `production` makes every service refuse, at start, the
    # simulator's NetSuite defaults, fault injection and missing secrets
    # (cascade.shared.startup checks them).
    env: Literal["development", "production"] = "development"
    # Message path: redelivery back-off doubles from `redelivery_backoff_ms` up to this cap,
    # also while the database is unreachable (then the attempt cannot even be counted).
    redelivery_backoff_max_ms: int = Field(default=30_000, ge=0)
    # An outbox row whose publish fails is retried after a back-off (doubling from the base,
    # capped) and parked after this many attempts (about 3 minutes of failures with the
    # defaults), or at once when the broker can never take it (too large, invalid topic); the
    # key's later rows wait for it.
    outbox_max_attempts: int = Field(default=10, ge=1)
    outbox_retry_base_ms: int = Field(default=500, ge=0)
    outbox_retry_max_ms: int = Field(default=60_000, ge=0)

    # Approved emails (approvals service): each is a durable leased job, attempted over
    # minutes so an SMTP outage delays an email instead of losing it. Defaults: 8 attempts,
    # back-off windows from 60 s doubling to 15 min (about an hour of windows, ~30 min
    # expected with full jitter); tests scale them down. The enqueue's commit wakes the
    # sender; `email_poll_ms` is only its safety net.
    email_max_attempts: int = Field(default=8, ge=1)
    email_backoff_base_s: float = Field(default=60.0, gt=0)
    email_backoff_max_s: float = Field(default=900.0, gt=0)
    email_poll_ms: int = Field(default=30_000, ge=10)
    email_workers: int = Field(default=2, ge=1)
    # Raised to at least twice the SMTP timeout so a slow but live send is never doubled.
    email_lease_s: float = Field(default=120.0, gt=0)
    # Fault tests only: a fixed seed makes the full-jitter draws reproducible.
    email_jitter_seed: int | None = None

    # Objects of `object_put` steps (runner): each is a durable leased job, its bytes fixed
    # when the step fell due, PUT to the object store (`CASCADE_OBJECT_STORE_*`) outside any
    # transaction. The staging commit wakes the worker; `object_put_poll_ms` is only its
    # safety net. A claim outlives a PUT twice (`object_store.timeout_s`).
    object_put_max_attempts: int = Field(default=5, ge=1)
    object_put_backoff_base_s: float = Field(default=1.0, gt=0)
    object_put_backoff_max_s: float = Field(default=60.0, gt=0)
    object_put_poll_ms: int = Field(default=15_000, ge=10)
    object_put_workers: int = Field(default=2, ge=1)
    object_put_lease_s: float = Field(default=60.0, gt=0)

    # HTTP edges (intake, approvals): how long a client may take to send a request body
    # (408 after that; uvicorn has no such limit), and how long a 503 answered during a
    # database outage tells the client to wait before it tries again.
    http_body_timeout_s: float = Field(default=10.0, gt=0)
    http_retry_after_s: int = Field(default=5, ge=1)
    # Kafka consumers: each busy subscription runs this many group members in the process,
    # each working its own partitions one record at a time (per-partition order and
    # ack-after-commit kept; topics have 3 partitions, more members than partitions idle); a
    # quiet one (rejections, operator retries, records nearly all filtered out) runs one.
    # A fetch waits up to `kafka_fetch_max_wait_ms` on the broker for a record and returns
    # the moment one arrives: the wait costs an idle consumer requests, never a record time.
    consumer_workers: int = Field(default=3, ge=1)
    kafka_fetch_max_wait_ms: int = Field(default=5000, ge=1)
