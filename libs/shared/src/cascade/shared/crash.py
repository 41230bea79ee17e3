"""Fault injection: `CASCADE_CRASH_AT=<point>` makes the process kill itself at that point."""

from __future__ import annotations

import os
import signal


def crash_point(configured: str | None, point: str) -> None:
    """SIGKILL this process when `point` is the configured crash point; no-op otherwise.

    SIGKILL, not an exception or sys.exit: the point is to skip every cleanup a real
    power cut or OOM kill would skip (no offset commit, no outbox mark, no graceful stop).
    """
    if configured and configured == point:
        os.kill(os.getpid(), signal.SIGKILL)
