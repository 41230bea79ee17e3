"""Background processes, pidfiles, ports, and running blocking helpers from any context.

The stack's servers must outlive the command that started them (`infra up` returns while
Kafka keeps running), so they are started in their own session: no controlling terminal, no
SIGHUP when the shell goes away, and one process group to signal as a whole on stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class PidInfo:
    pid: int
    #: Process start time in clock ticks since boot (/proc/<pid>/stat field 22). Stored next
    #: to the pid so a recycled pid (after a crash or a reboot) is not mistaken for ours.
    start_ticks: int | None


def _proc_start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def _proc_state(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()[0]


def pid_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    state = _proc_state(pid)
    if state == "Z":
        # Our own child that died: reap it so it does not linger as a zombie.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


def write_pidfile(pidfile: Path, pid: int) -> None:
    ticks = _proc_start_ticks(pid)
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    tmp = pidfile.with_suffix(pidfile.suffix + ".tmp")
    tmp.write_text(f"{pid}\n{ticks if ticks is not None else ''}\n")
    tmp.replace(pidfile)  # atomic: a reader never sees half a pidfile


def read_pidfile(pidfile: Path) -> PidInfo | None:
    try:
        lines = pidfile.read_text().split("\n")
    except FileNotFoundError:
        return None
    try:
        pid = int(lines[0])
    except (ValueError, IndexError):
        return None
    ticks = int(lines[1]) if len(lines) > 1 and lines[1].strip().isdigit() else None
    return PidInfo(pid, ticks)


def running_pid(pidfile: Path) -> int | None:
    """The pid from `pidfile` if that very process is still alive, else None."""
    info = read_pidfile(pidfile)
    if info is None or not pid_alive(info.pid):
        return None
    if info.start_ticks is not None:
        now = _proc_start_ticks(info.pid)
        if now is not None and now != info.start_ticks:
            return None  # the pid was recycled by an unrelated process
    return info.pid


def is_running(pidfile: Path) -> bool:
    return running_pid(pidfile) is not None


def start_detached(
    argv: Sequence[str],
    *,
    log_file: Path,
    pidfile: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start `argv` in a new session, stdout+stderr appended to `log_file`; return its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        log.write(f"\n=== {stamp} devstack start: {shlex.join(argv)}\n".encode())
        log.flush()
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            close_fds=True,
        )
    write_pidfile(pidfile, proc.pid)
    return proc.pid


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # start_detached made the process a session (and group) leader: signal the whole group
    # so helpers it spawned go too. Fall back to the pid alone if it is not a group leader.
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return not pid_alive(pid)


def stop(pidfile: Path, timeout: float = 30.0) -> bool:
    """SIGTERM the process group, SIGKILL after `timeout`. True if something was running."""
    pid = running_pid(pidfile)
    if pid is None:
        pidfile.unlink(missing_ok=True)
        return False
    _signal_group(pid, signal.SIGTERM)
    if not _wait_gone(pid, timeout):
        _signal_group(pid, signal.SIGKILL)
        _wait_gone(pid, 10.0)
    pidfile.unlink(missing_ok=True)
    return True


def kill(pidfile: Path) -> bool:
    """SIGKILL the process group at once (a crash, for fault tests)."""
    pid = running_pid(pidfile)
    if pid is None:
        return False
    _signal_group(pid, signal.SIGKILL)
    _wait_gone(pid, 10.0)
    pidfile.unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock, so two `infra up`s at once do not start two servers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_port(host: str, port: int, timeout: float) -> None:
    """Block until a TCP connect to host:port succeeds, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while not port_open(host, port):
        if time.monotonic() >= deadline:
            raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")
        time.sleep(0.1)


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log, for error messages."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_coro(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even if an event loop is running.

    The devstack API is sync (it mostly runs subprocesses), but callers include async test
    fixtures: there, asyncio.run() would refuse, so the coroutine runs on a private loop in a
    helper thread instead (blocking the caller's loop for that time, which is fine here).
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="devstack-run-coro")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


_apt_updated = False


def apt_install(packages: Sequence[str], why: str) -> None:
    """Install Debian packages (we are root on the build machines); say what and why."""
    global _apt_updated
    if os.geteuid() != 0:
        raise RuntimeError(f"{why}; install it first: sudo apt-get install -y {' '.join(packages)}")
    if shutil.which("apt-get") is None:
        raise RuntimeError(f"{why}, and there is no apt-get here to install {packages}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        print(f"devstack: {why}: running apt-get update", flush=True)
        subprocess.run(["apt-get", "update"], check=True, env=env)
        _apt_updated = True
    print(f"devstack: apt-get install -y {' '.join(packages)}", flush=True)
    subprocess.run(["apt-get", "install", "-y", *packages], check=True, env=env)
