"""A private PostgreSQL cluster per profile, never Debian's system cluster.

The cluster lives in `<state_dir>/pg`, listens on 127.0.0.1 and on a socket in its own
folder, so it cannot clash with a system server on 5432 or /var/run/postgresql.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cascade.devstack import procs
from cascade.devstack.paths import check_profile, logs_dir, repo_root, state_dir
from cascade.devstack.settings import DevstackSettings

DEFAULT_PORTS = {"dev": 55432, "test": 55433, "bench": 55633}
PORT_ENV = "CASCADE_DEVSTACK_PG_PORT"
PG_ROOT = Path("/usr/lib/postgresql")
START_TIMEOUT_S = 60

#: Where the cluster goes when the checkout is out of the postgres OS user's reach.
_RELOCATED_ROOT = Path("/var/lib/cascade-devstack")  # only used as root

# Longest unix socket path Linux takes is 107 bytes; leave room for ".s.PGSQL.<port>.lock".
_MAX_SOCKET_DIR = 80


def default_port(profile: str) -> int:
    port = DevstackSettings().devstack_pg_port
    return port if port is not None else DEFAULT_PORTS.get(check_profile(profile), 55432)


def database_url(port: int, db: str, user: str, password: str) -> str:
    """SQLAlchemy URL for the asyncpg driver, always over TCP on 127.0.0.1."""
    return (
        f"postgresql+asyncpg://{quote(user, safe='')}:{quote(password, safe='')}"
        f"@127.0.0.1:{port}/{quote(db, safe='')}"
    )


def render_conf(port: int, socket_dir: Path) -> str:
    """Settings included from postgresql.conf; rewritten before every start."""
    return "\n".join(
        [
            "# Written by cascade.devstack before each start; do not edit.",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            # Only the owner (and root) may use the socket: with `trust` on it, that is what
            # keeps other OS users from connecting as the superuser.
            "unix_socket_permissions = 0700",
            "max_connections = 200",
            "shared_buffers = 128MB",
            "fsync = on",
            "timezone = 'UTC'",
            "log_timezone = 'UTC'",
            # %a: the application (each service names itself), so a statement log says
            # which process ran what (bench/workflow's idle phase counts commits by it).
            "log_line_prefix = '%m [%p] %q%u@%d/%a '",
            "",
        ]
    )


def render_hba(owner: str) -> str:
    return "\n".join(
        [
            "# Written by cascade.devstack; do not edit.",
            "# TYPE  DATABASE  USER  ADDRESS  METHOD",
            f"local   all       {owner}  trust",
            "host    all       all   127.0.0.1/32  scram-sha-256",
            "",
        ]
    )


# --- binaries and OS user ----------------------------------------------------------------


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.name))


def find_bin_dir() -> Path | None:
    """`/usr/lib/postgresql/<highest version>/bin`, if a server is installed there."""
    if not PG_ROOT.is_dir():
        return None
    found = [d for d in PG_ROOT.iterdir() if (d / "bin" / "postgres").is_file()]
    if not found:
        return None
    return max(found, key=_version_key) / "bin"


def ensure_bin_dir() -> Path:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        procs.apt_install(["postgresql"], f"no PostgreSQL server under {PG_ROOT}")
        # Debian's package also creates (and may start) its own cluster on 5432: we leave
        # that one alone and run our own beside it.
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(f"apt-get installed postgresql but {PG_ROOT}/*/bin is empty")
    return bin_dir


@dataclass(frozen=True)
class _Owner:
    name: str
    uid: int
    gid: int
    #: Prefix that runs a command as this user (PostgreSQL refuses to run as root).
    prefix: tuple[str, ...]


def _owner() -> _Owner:
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(
                "running as root, PostgreSQL needs the 'postgres' OS user to run as; "
                "install the Debian postgresql package (it creates that user)"
            ) from None
        return _Owner("postgres", pw.pw_uid, pw.pw_gid, ("runuser", "-u", "postgres", "--"))
    pw = pwd.getpwuid(os.geteuid())
    return _Owner(pw.pw_name, pw.pw_uid, pw.pw_gid, ())


# --- layout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    root: Path
    data: Path
    socket_dir: Path
    #: The file pg_ctl appends to; `logs/postgres.log` is it, or a symlink to it.
    log: Path
    lock: Path


def _searchable_by(folder: Path, owner: _Owner) -> bool:
    """Can `owner` walk through `folder` and all its parents (x permission)?"""
    groups = set(os.getgrouplist(owner.name, owner.gid))
    for part in (folder, *folder.parents):
        st = part.stat()
        if st.st_uid == owner.uid:
            ok = bool(st.st_mode & 0o100)
        elif st.st_gid in groups:
            ok = bool(st.st_mode & 0o010)
        else:
            ok = bool(st.st_mode & 0o001)
        if not ok:
            return False
    return True


def _short_digest(path: Path) -> str:
    return hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:12]


def _layout(profile: str, owner: _Owner) -> _Layout:
    base = state_dir(profile)
    root = base / "pg"
    log = logs_dir(profile) / "postgres.log"
    # The server runs as the postgres OS user, which must be able to reach its folders. A
    # checkout under e.g. /root (mode 0700) is out of its reach: keep the cluster in a
    # folder of its own then, and link its log into logs/ (see _prepare_dirs).
    if owner.prefix and not _searchable_by(repo_root(), owner):
        root = _RELOCATED_ROOT / f"{profile}-{_short_digest(base)}" / "pg"
        log = root / "postgres.log"
    run = root / "run"
    if len(str(run)) > _MAX_SOCKET_DIR:
        # A deep checkout would overflow the socket path limit: use a short, stable folder.
        run = Path("/tmp") / f"cascade-pg-{_short_digest(root)}"  # noqa: S108 - mode 0700
    return _Layout(
        root=root, data=root / "data", socket_dir=run, log=log, lock=base / "postgres.lock"
    )


def _run(argv: Sequence[str], *, cwd: Path, what: str, input_text: str | None = None) -> str:
    # cwd must be a folder the postgres user may enter (not /root), or tools complain.
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        input=input_text,
        capture_output=True,
        text=True,
        check=False,
        # New session: a Ctrl-C in the caller's terminal must not reach the postmaster.
        start_new_session=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(argv)}\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def _running_port(data: Path) -> int | None:
    """Port of the postmaster serving `data`, read from postmaster.pid, if it is alive."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    return port if procs.pid_alive(pid) else None


def _chown(path: Path, owner: _Owner) -> None:
    if os.geteuid() == 0:
        os.chown(path, owner.uid, owner.gid)


def _prepare_dirs(profile: str, lay: _Layout, owner: _Owner) -> None:
    for folder in (lay.root.parent, lay.root, lay.log.parent):
        folder.mkdir(parents=True, exist_ok=True)
    # The postgres user must be able to walk down to its folders even under umask 077.
    for folder in (lay.root.parent.parent, lay.root.parent, lay.log.parent):
        folder.chmod(0o755)
    _chown(lay.root, owner)
    lay.root.chmod(0o700)
    lay.socket_dir.mkdir(parents=True, exist_ok=True)
    _chown(lay.socket_dir, owner)
    lay.socket_dir.chmod(0o700)
    lay.log.touch()
    _chown(lay.log, owner)
    link = logs_dir(profile) / "postgres.log"
    if link != lay.log:
        print(
            f"devstack: {repo_root()} is out of reach of the '{owner.name}' OS user; "
            f"PostgreSQL ({profile}) keeps its data in {lay.root}",
            flush=True,
        )
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(lay.log)
    if owner.prefix:
        probe = subprocess.run([*owner.prefix, "test", "-w", str(lay.root)], cwd="/", check=False)
        if probe.returncode != 0:
            raise RuntimeError(
                f"the '{owner.name}' OS user cannot reach {lay.root}: a parent folder is "
                f"not searchable by others (chmod o+x it), or set CASCADE_HOME elsewhere"
            )


def _initdb(bin_dir: Path, lay: _Layout, owner: _Owner) -> None:
    if (lay.data / "PG_VERSION").is_file():
        have = (lay.data / "PG_VERSION").read_text().strip()
        want = bin_dir.parent.name
        if have != want:
            raise RuntimeError(
                f"{lay.data} was made by PostgreSQL {have} but the server here is {want}; "
                f"remove {lay.root} (its data is lost) and run again"
            )
        return
    if lay.data.exists():
        shutil.rmtree(lay.data)  # a half-made cluster from an interrupted initdb
    print(f"devstack: initdb {lay.data} (as OS user {owner.name})", flush=True)
    _run(
        [
            *owner.prefix, str(bin_dir / "initdb"),
            "-D", str(lay.data), "-U", owner.name,
            "-E", "UTF8", "--locale=C",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        ],
        cwd=lay.root, what="initdb",
    )  # fmt: skip
    conf = lay.data / "postgresql.conf"
    with conf.open("a") as f:
        f.write("\n# cascade.devstack settings\ninclude 'cascade.conf'\n")


def _write_config(lay: _Layout, owner: _Owner, port: int) -> None:
    for name, text in (
        ("cascade.conf", render_conf(port, lay.socket_dir)),
        ("pg_hba.conf", render_hba(owner.name)),
    ):
        path = lay.data / name
        path.write_text(text)
        _chown(path, owner)
        path.chmod(0o600)


def _pg_ctl(bin_dir: Path, lay: _Layout, owner: _Owner, *args: str) -> None:
    _run(
        [*owner.prefix, str(bin_dir / "pg_ctl"), "-D", str(lay.data), *args],
        cwd=lay.root, what=f"pg_ctl {args[0]}",
    )  # fmt: skip


# pg_signal_backend: the tests drop their databases WITH (FORCE), which must terminate every
# backend still attached, including one that is still authenticating (its role is not set yet,
# so only pg_signal_backend lets a non-superuser end it; without it the drop fails at random).
_ENSURE_SQL = r"""
SELECT CASE
  WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role_name')
  THEN format('CREATE ROLE %I LOGIN CREATEDB PASSWORD %L', :'role_name', :'role_pw')
  ELSE format('ALTER ROLE %I LOGIN PASSWORD %L', :'role_name', :'role_pw')
END
\gexec
SELECT format('GRANT pg_signal_backend TO %I', :'role_name')
\gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db_name', :'role_name')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db_name')
\gexec
"""


def _ensure_role_and_db(
    bin_dir: Path, lay: _Layout, owner: _Owner, port: int, db: str, user: str, password: str
) -> None:
    # Over the private socket as the cluster owner (trust there); psql variables quote the
    # values, so names and password need no escaping here. -X: ignore any ~/.psqlrc.
    _run(
        [
            str(bin_dir / "psql"), "-X", "-q", "-h", str(lay.socket_dir), "-p", str(port),
            "-U", owner.name, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-v", f"role_name={user}", "-v", f"role_pw={password}", "-v", f"db_name={db}",
            "-f", "-",
        ],
        cwd=lay.root, what="creating the role and database", input_text=_ENSURE_SQL,
    )  # fmt: skip


def ensure_postgres(
    profile: str,
    port: int | None = None,
    db: str = "cascade",
    user: str = "cascade",
    password: str = "cascade",  # noqa: S107 - a local throw-away dev/test database
) -> str:
    """Make sure the profile's cluster runs with `user` and `db`; return the SQLAlchemy URL.

    Idempotent and cheap when all is up (one psql round trip). Port defaults to the env
    override, else dev 55432 / test 55433.
    """
    port = port or default_port(profile)
    owner = _owner()
    lay = _layout(profile, owner)
    bin_dir = ensure_bin_dir()
    with procs.file_lock(lay.lock):
        running = _running_port(lay.data)
        if running is not None and running != port:
            print(
                f"devstack: PostgreSQL ({profile}) runs on {running}, wanted {port}: restarting it",
                flush=True,
            )
            _pg_ctl(bin_dir, lay, owner, "stop", "-m", "fast", "-w")
            running = None
        if running is None:
            if procs.port_open("127.0.0.1", port):
                raise RuntimeError(
                    f"port 127.0.0.1:{port} is taken by another process, not by this "
                    f"profile's PostgreSQL; stop it or set {PORT_ENV}"
                )
            _prepare_dirs(profile, lay, owner)
            _initdb(bin_dir, lay, owner)
            _write_config(lay, owner, port)
            try:
                _pg_ctl(
                    bin_dir,
                    lay,
                    owner,
                    "start",
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "-l",
                    str(lay.log),
                )
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}\n--- {lay.log}:\n{procs.tail(lay.log)}") from None
        _ensure_role_and_db(bin_dir, lay, owner, port, db, user, password)
    return database_url(port, db, user, password)


def _installed_owner() -> _Owner | None:
    # No postgres OS user (PostgreSQL never installed): then none of ours can be running.
    try:
        return _owner()
    except RuntimeError:
        return None


def postgres_running(profile: str) -> bool:
    owner = _installed_owner()
    return owner is not None and _running_port(_layout(profile, owner).data) is not None


def postmaster_pid(profile: str) -> int | None:
    """The pid of the profile's running postmaster (its backends are its children)."""
    owner = _installed_owner()
    if owner is None:
        return None
    try:
        pid = int((_layout(profile, owner).data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if procs.pid_alive(pid) else None


def postgres_log(profile: str) -> Path:
    return _layout(profile, _owner()).log


def set_server_option(profile: str, name: str, value: str | None) -> None:
    """`ALTER SYSTEM SET name = value` (RESET when None) and reload, as the cluster owner
    (superuser-only settings such as `log_min_duration_statement`; the services' role is
    not one). Every session, pooled ones too, takes it at its next statement."""
    owner = _owner()
    lay = _layout(profile, owner)
    port = _running_port(lay.data)
    if port is None:
        raise RuntimeError(f"PostgreSQL ({profile}) is not running")
    if not re.fullmatch(r"[a-z_]+", name):
        raise ValueError(f"not a setting name: {name!r}")
    change = f"ALTER SYSTEM RESET {name}" if value is None else f"ALTER SYSTEM SET {name} = :'v'"
    _run(
        [
            str(ensure_bin_dir() / "psql"), "-X", "-q", "-h", str(lay.socket_dir),
            "-p", str(port), "-U", owner.name, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-v", f"v={value or ''}", "-f", "-",
        ],
        cwd=lay.root, what=f"setting {name}",
        input_text=f"{change};\nSELECT pg_reload_conf();\n",
    )  # fmt: skip


def purge_postgres(profile: str) -> None:
    """Delete the profile's cluster (stop it first), also when it lives outside the checkout."""
    owner = _installed_owner()
    if owner is not None:
        shutil.rmtree(_layout(profile, owner).root, ignore_errors=True)


def stop_postgres(profile: str) -> bool:
    """Fast shutdown (`pg_ctl stop -m fast`). True if it was running."""
    owner = _installed_owner()
    if owner is None:
        return False
    lay = _layout(profile, owner)
    if _running_port(lay.data) is None:
        return False
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL runs but its binaries are gone")
    _pg_ctl(bin_dir, lay, owner, "stop", "-m", "fast", "-w")
    return True


def restart_postgres(profile: str, mode: str = "immediate") -> float:
    """`pg_ctl restart -m <mode>` (immediate = a crash + recovery), for fault tests.

    Returns how long the server was away, in seconds.
    """
    if mode not in ("smart", "fast", "immediate"):
        raise ValueError(f"unknown shutdown mode {mode!r}")
    owner = _owner()
    lay = _layout(profile, owner)
    if _running_port(lay.data) is None:
        raise RuntimeError(f"PostgreSQL ({profile}) is not running; run `infra up` first")
    bin_dir = ensure_bin_dir()
    started = time.monotonic()
    _pg_ctl(
        bin_dir, lay, owner,
        "restart", "-m", mode, "-w", "-t", str(START_TIMEOUT_S), "-l", str(lay.log),
    )  # fmt: skip
    return time.monotonic() - started
