"""Settings for every Cascade process: one `CASCADE_` prefix, one place for defaults.

Read once in a composition root, then passed down; nothing else reads the environment. A
service process builds it with `cascade.shared.startup.load_settings`, which refuses unknown
`CASCADE_*` variables and, with `CASCADE_ENV=production`, the local defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from cascade.shared.settings_config import settings_config


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

    # Attribute docstrings become the fields' descriptions, from which `cascade settings doc`
    # writes the README's settings table.
    model_config = settings_config()

    database_url: str = "postgresql+asyncpg://cascade:cascade@127.0.0.1:55432/cascade"
    """SQLAlchemy URL of the PostgreSQL database (asyncpg driver)."""
    kafka_bootstrap: str = "127.0.0.1:19092"
    """Kafka bootstrap servers, `host:port[,host:port...]`."""
    topic_prefix: str = ""
    """Prefix of every topic name: tests isolate themselves with it, tenants could too."""
    consumer_group_prefix: str = "cascade"
    """Prefix of every Kafka consumer group (`<prefix>.<consumer>`)."""

    http_host: str = "127.0.0.1"
    """Address every service's HTTP server binds to."""
    intake_port: int = 8001
    """HTTP port of intake (API, form, cron scheduler)."""
    approvals_port: int = 8002
    """HTTP port of approvals (Mike's UI and the approval API)."""
    runner_port: int = 8003
    """HTTP port of the runner (health)."""
    ns_pusher_port: int = 8004
    """HTTP port of the ns-pusher (health, admin API)."""
    verifier_port: int = 8005
    """HTTP port of the verifier (health)."""
    mcp_port: int = 8006
    """HTTP port of the MCP gateway (streamable HTTP transport)."""
    netsuite_sim_port: int = 8009
    """HTTP port of the NetSuite simulator (local use and tests)."""

    log_format: Literal["auto", "json", "text"] = "auto"
    """How a process writes its log lines (stderr): `json`, one JSON object per line with
    the run's `run_id`, `workflow_type` and `trace_id` on the lines of its handling; `text`
    for a terminal; `auto` is `json` unless stderr is a terminal."""

    admin_token: SecretStr | None = None
    """Bearer token of the admin APIs (approvals, ns-pusher); unset, they refuse every call."""
    admin_name: str = "mike"
    """The name recorded for the one admin's decisions (UI login and admin API)."""
    contracts_dir: Path = Field(default_factory=_default_contracts_dir)
    """Folder of the workflow contracts (YAML); default: the nearest `contracts/` above the
    working directory."""

    intake_max_body_bytes: int = 64 * 1024
    """Largest request body intake accepts (413 beyond it)."""
    max_delivery_attempts: int = 5
    """Attempts of one Kafka record by a consumer before it goes to the topic's `.dlq`."""
    redelivery_backoff_ms: int = 200
    """First back-off before a failed record is attempted again (doubles each attempt)."""
    # The relay is woken by the commit that staged rows; this poll is only its safety net
    # (rows of a crashed process, a failed publish's back-off come due).
    outbox_poll_ms: int = 5000
    """Safety-net poll of the outbox relay (a staging commit wakes it at once)."""
    outbox_batch_size: int = 200
    """Outbox rows the relay publishes per round."""
    db_pool_size: int = 5
    """SQLAlchemy connection pool size per process (and as many overflow connections)."""

    # Runner: the step executor's safety-net poll (steps run in the transaction that made
    # them due; commits that leave steps due and retry times wake the executor at once, so
    # the poll only finds what a crash left behind), how long a context query may take, and
    # a scale for verify windows (tests and demos shrink 15 minutes to seconds).
    runner_poll_ms: int = 5000
    """Safety-net poll of the runner's step executor (commits wake it at once)."""
    context_timeout_ms: int = 5000
    """Longest a contract's context query may run (runner, MCP gateway)."""
    verify_window_scale: float = 1.0
    """Scale of verify windows and their retries (tests and demos shrink 15 min to seconds)."""
    step_jitter_seed: int | None = None
    """Fault tests only: a fixed seed makes the runner's step retry jitter reproducible."""

    # Intake's cron scheduler sleeps until the next tick of any cron contract, and at most
    # this long (the safety net: a clock step, a tick another replica left unclaimed). A
    # tick up to `cron_grace_s` late is on time; older ones were missed and follow the
    # contract's `catch_up`.
    cron_poll_s: float = 60.0
    """Longest intake's cron scheduler sleeps between looks (safety net)."""
    cron_grace_s: float = 60.0
    """A cron tick this late is still on time; older ones follow the contract's `catch_up`."""

    # NetSuite (SuiteTalk REST); in local use these point at the simulator.
    netsuite_base_url: str = "http://127.0.0.1:8009"
    """Base URL of NetSuite's SuiteTalk REST API (default: the local simulator)."""
    netsuite_account_id: str = "TSTDRV0000001"
    """NetSuite account id (default: the simulator's)."""
    netsuite_consumer_key: SecretStr = SecretStr("sim-consumer-key")
    """TBA (OAuth 1.0a) consumer key of the integration record."""
    netsuite_consumer_secret: SecretStr = SecretStr("sim-consumer-secret")
    """TBA (OAuth 1.0a) consumer secret of the integration record."""
    netsuite_token_id: SecretStr = SecretStr("sim-token-id")
    """TBA (OAuth 1.0a) access token id."""
    netsuite_token_secret: SecretStr = SecretStr("sim-token-secret")
    """TBA (OAuth 1.0a) access token secret."""
    netsuite_timeout_s: float = 10.0
    """Timeout of one NetSuite HTTP call."""
    netsuite_sim_enable_test_api: bool = False
    """Turns on the simulator's test API (fault injection, record inspection); never in
    production."""
    # Oracle asks new integrations to use OAuth 2.0; TBA creation ends with 2027.1.
    netsuite_auth: Literal["tba", "oauth2"] = "tba"
    """How NetSuite requests authenticate: `tba` (OAuth 1.0a, the four TBA secrets) or
    `oauth2` (machine-to-machine: a JWT signed with the certificate's private key, `kid` =
    its certificate id, exchanged for a bearer token)."""
    netsuite_oauth2_client_id: SecretStr = SecretStr("sim-client-id")
    """OAuth 2.0 M2M client id of the integration record."""
    netsuite_oauth2_certificate_id: str = "sim-certificate-id"
    """Certificate id NetSuite gave the mapped certificate (the JWT's `kid`)."""
    netsuite_oauth2_private_key: SecretStr = SecretStr("")
    """Private key (PEM) of the mapped certificate, signing the client assertion."""
    netsuite_oauth2_algorithm: Literal["PS256", "ES256"] = "PS256"
    """Signature algorithm of the client assertion (RSA-PSS or ECDSA key)."""
    netsuite_oauth2_scope: str = "rest_webservices"
    """Scope requested with the OAuth 2.0 token."""
    # Concurrency governance: NetSuite refuses (429) requests beyond the account's concurrency
    # limit, counted over every integration and every replica. All NetSuite requests of this
    # deployment take one of this many slots (`request_slots`, in PostgreSQL) first; with
    # `netsuite_governance_limits`, the limit NetSuite reports (`GET
    # /services/rest/system/v1/governanceLimits`, read at start) wins when it is lower.
    # A request waits at most `netsuite_slot_wait_s` for a slot (then it counts as a
    # transient failure, retried later); a slot's lease (a killed holder frees it when it
    # runs out) outlasts a request's timeout; waiters wake on a NOTIFY, or poll this often.
    netsuite_concurrency_limit: int = Field(default=4, ge=1)
    """NetSuite requests in flight at once across every replica (slots in `request_slots`)."""
    netsuite_governance_limits: bool = True
    """Read the account's limit from `governanceLimits` at start; the lower limit wins."""
    netsuite_slot_wait_s: float = Field(default=10.0, gt=0)
    """Longest a request waits for a slot (then a transient failure, retried later)."""
    netsuite_slot_poll_ms: int = Field(default=1000, ge=10)
    """Waiters wake on a NOTIFY; else they look for a free slot this often."""

    crash_at: str | None = None
    """Fault injection: kill this process at the named point; refused in production."""

    # ns-pusher: the contract's NetSuite retry policy (defaults are the contract's values;
    # tests scale them down) and how the job poller runs.
    ns_push_max_attempts: int = Field(default=3, ge=1)
    """Attempts of one NetSuite push before it is parked for the operator."""
    ns_push_backoff_base_ms: int = Field(default=1500, ge=0)
    """First back-off window between push attempts (doubles, full jitter)."""
    ns_push_backoff_max_ms: int = Field(default=30000, ge=0)
    """Cap of the push back-off window."""
    # Safety net only: the commit that makes a push due wakes the pusher, and a retry's
    # back-off is slept exactly.
    ns_push_poll_ms: int = Field(default=15_000, ge=10)
    """Safety-net poll of the push job table (a due push's commit wakes the pusher)."""
    ns_push_workers: int = Field(default=4, ge=1)
    """NetSuite pushes that run at once per ns-pusher process."""
    ns_push_lease_s: float = Field(default=60.0, gt=0)
    """Lease of a claimed push, after which another poller retakes it; raised to at least
    twice `CASCADE_NETSUITE_TIMEOUT_S` so a slow but live call is never duplicated."""
    ns_push_jitter_seed: int | None = None
    """Fault tests only: a fixed seed makes the push back-off's jitter reproducible."""

    netsuite_sim_data_dir: Path = Path(".cascade/netsuite-sim")
    """Where the NetSuite simulator keeps its records."""
    netsuite_sim_concurrency_limit: int = Field(default=5, ge=1)
    """Calls the simulator serves at once (more get 429, like NetSuite's own limit)."""
    # Tests of the concurrency limit need calls that overlap.
    netsuite_sim_latency_ms: int = Field(default=0, ge=0)
    """How long the simulator holds each call before serving it (0: at once)."""
    netsuite_sim_oauth2_public_key: str = ""
    """Public key (PEM) the simulator checks client assertions with; unset, its token
    endpoint refuses every assertion."""
    netsuite_sim_oauth2_token_ttl_s: int = Field(default=3600, ge=1)
    """Lifetime of the simulator's OAuth 2.0 bearer tokens."""

    # Verifier: the continuous poller of due checks (woken by the run's end, sleeping until
    # the next due time), the seed's cron sweep, how long one check may take and how a
    # failing check is retried before its deadline (back-off scaled by
    # `verify_window_scale` too).
    verify_poller_enabled: bool = True
    """Runs the verifier's continuous poller of due checks (the cron sweep runs regardless)."""
    verify_poll_ms: int = Field(default=30_000, ge=10)
    """Safety-net poll of due checks (a run's end wakes the poller)."""
    verify_workers: int = Field(default=4, ge=1)
    """Checks that run at once per verifier process."""
    verify_sweep_cron: str = "8,38 * * * *"
    """Cron (UTC) of the verifier's sweep; a sixth field means seconds (tests)."""
    verify_statement_timeout_ms: int = Field(default=5000, ge=1)
    """Longest one check's query may run."""
    verify_lease_s: float = Field(default=60.0, gt=0)
    """Lease of a claimed check, after which another poller retakes it."""
    verify_retry_base_s: float = Field(default=30.0, gt=0)
    """First back-off of a failing check before its deadline (doubles, scaled by
    `CASCADE_VERIFY_WINDOW_SCALE`)."""
    verify_retry_max_s: float = Field(default=300.0, gt=0)
    """Cap of a failing check's back-off."""

    # Settings validation (issue 10): cascade.shared.startup checks production.
    env: Literal["development", "production"] = "development"
    """`production` makes every service refuse, at start, the simulator's NetSuite defaults,
    fault injection and missing secrets."""
    redelivery_backoff_max_ms: int = Field(default=30_000, ge=0)
    """Cap of the redelivery back-off, also while the database is unreachable (then the
    attempt cannot even be counted)."""
    # About 3 minutes of failures with the defaults before a row is parked; the key's later
    # rows wait for it.
    outbox_max_attempts: int = Field(default=10, ge=1)
    """Publish attempts of one outbox row before it is parked (at once when the broker can
    never take it: too large, invalid topic)."""
    outbox_retry_base_ms: int = Field(default=500, ge=0)
    """First back-off after a failed publish (doubles)."""
    outbox_retry_max_ms: int = Field(default=60_000, ge=0)
    """Cap of the outbox publish back-off."""

    # Approved emails (approvals service): each is a durable leased job, attempted over
    # minutes so an SMTP outage delays an email instead of losing it. Defaults: 8 attempts,
    # back-off windows from 60 s doubling to 15 min (about an hour of windows, ~30 min
    # expected with full jitter); tests scale them down.
    email_max_attempts: int = Field(default=8, ge=1)
    """Send attempts of one approved email before it is parked."""
    email_backoff_base_s: float = Field(default=60.0, gt=0)
    """First back-off window between send attempts (doubles, full jitter)."""
    email_backoff_max_s: float = Field(default=900.0, gt=0)
    """Cap of the email back-off window."""
    email_poll_ms: int = Field(default=30_000, ge=10)
    """Safety-net poll of the email job table (the enqueue's commit wakes the sender)."""
    email_workers: int = Field(default=2, ge=1)
    """Emails sent at once per approvals process."""
    email_lease_s: float = Field(default=120.0, gt=0)
    """Lease of a claimed email; raised to at least twice `CASCADE_SMTP_TIMEOUT_S` so a slow
    but live send is never doubled."""
    email_jitter_seed: int | None = None
    """Fault tests only: a fixed seed makes the email back-off's jitter reproducible."""

    # Objects of `object_put` steps (runner): each is a durable leased job, its bytes fixed
    # when the step fell due, PUT to the object store (`CASCADE_OBJECT_STORE_*`) outside any
    # transaction.
    object_put_max_attempts: int = Field(default=5, ge=1)
    """PUT attempts of one object before its step fails."""
    object_put_backoff_base_s: float = Field(default=1.0, gt=0)
    """First back-off window between PUT attempts (doubles, full jitter)."""
    object_put_backoff_max_s: float = Field(default=60.0, gt=0)
    """Cap of the object PUT back-off window."""
    object_put_poll_ms: int = Field(default=15_000, ge=10)
    """Safety-net poll of the object job table (the staging commit wakes the worker)."""
    object_put_workers: int = Field(default=2, ge=1)
    """Object PUTs that run at once per runner process."""
    object_put_lease_s: float = Field(default=60.0, gt=0)
    """Lease of a claimed PUT; raised to at least twice `CASCADE_OBJECT_STORE_TIMEOUT_S`."""

    # HTTP edges (intake, approvals).
    http_body_timeout_s: float = Field(default=10.0, gt=0)
    """How long a client may take to send a request body (408 after; uvicorn has no such
    limit)."""
    http_retry_after_s: int = Field(default=5, ge=1)
    """`Retry-After` of a 503 answered during a database outage."""
    # Kafka consumers: each member works its own partitions one record at a time
    # (per-partition order and ack-after-commit kept; topics have 3 partitions, more members
    # than partitions idle); a quiet subscription (rejections, operator retries, records
    # nearly all filtered out) runs one. The fetch wait costs an idle consumer requests,
    # never a record time: a fetch returns the moment a record arrives.
    consumer_workers: int = Field(default=3, ge=1)
    """Group members each busy subscription runs in the process."""
    kafka_fetch_max_wait_ms: int = Field(default=5000, ge=1)
    """Longest a fetch waits on the broker for a record."""

    # Tracing (cascade.shared.tracing): spans of work always exist, so `traceparent` values
    # travel with every outbox row, Kafka record and job row; `otlp` also makes the SQL and
    # HTTP-out spans and exports everything over OTLP/HTTP to `otel_endpoint` (a collector,
    # Jaeger, Tempo), batched every `otel_export_delay_ms`. Off by default.
    otel_exporter: Literal["none", "otlp"] = "none"
    """`otlp` exports spans over OTLP/HTTP, with a span per SQL statement and HTTP call out;
    `none` (default) keeps the spans of work in the process and makes no such leaves."""
    otel_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    """OTLP/HTTP traces endpoint (a collector, Jaeger, Tempo)."""
    otel_export_delay_ms: int = Field(default=5000, ge=1)
    """Spans are exported in batches this often."""
    otel_export_timeout_s: float = Field(default=10.0, gt=0)
    """Longest one export may take."""
