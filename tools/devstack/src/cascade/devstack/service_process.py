"""One service as an OS process: started, health-checked, killed with -9, restarted."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_service(url: str, timeout: float = 2.0) -> str | None:
    """The `service` a healthy `/healthz` names, or None when it does not answer 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            if int(response.status) != 200:
                return None
            return str(json.loads(response.read()).get("service"))
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return None


@dataclass
class ServiceProcess:
    """`python -m <module>` with its own environment and log file."""

    name: str
    module: str
    port: int
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def health_url(self) -> str:
        """Where the service reports its health."""
        return f"http://127.0.0.1:{self.port}/healthz"

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        """Start the process; its output is appended to the log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env, **(extra_env or {})}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = 90.0) -> None:
        """Block until /healthz answers 200; fail fast with the log when the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.log_tail()}")
            # Check the answer names this service: the free port we picked may have been taken
            # by another process between our probe and the service's bind.
            if health_service(self.health_url) in (self.name, self.name.replace("_", "-")):
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s:\n{self.log_tail()}")

    def wait_exit(self, timeout: float = 60.0) -> int:
        """Wait for the process to end by itself (e.g. at a crash point); its exit code."""
        assert self.proc is not None, "not started"
        return self.proc.wait(timeout=timeout)

    def kill9(self) -> None:
        """SIGKILL the process group: no cleanup, like a power cut."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after `timeout`."""
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()

    def log_tail(self, lines: int = 40) -> str:
        """The end of the log, for failure messages."""
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
