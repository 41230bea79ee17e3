"""Rate limit for repeated identical log lines, installed once for every service process.

An outage makes every loop fail the same way at once; without a limit each retry writes the
same line (and traceback) again, and the log of one service grew by megabytes per second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_WINDOW_S = 10.0


@dataclass
class _Seen:
    since: float
    suppressed: int = 0


class RepeatFilter(logging.Filter):
    """Lets a line through, drops identical ones (same logger, level, message and exception
    type) for `window_s`, then lets the next one through with "(N similar suppressed)"."""

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 1024,
    ) -> None:
        super().__init__()
        self._window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._seen: OrderedDict[tuple[object, ...], _Seen] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a repeat inside the window; may rewrite the message of the next one."""
        message = record.getMessage()
        kind = record.exc_info[0] if record.exc_info else None
        key = (record.name, record.levelno, message, kind)
        now = self._clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen.since < self._window_s:
                seen.suppressed += 1
                return False
            self._seen[key] = _Seen(since=now)
            self._seen.move_to_end(key)
            while len(self._seen) > self._max_keys:
                self._seen.popitem(last=False)
        if seen is not None and seen.suppressed:
            record.msg = f"{message} ({seen.suppressed} similar suppressed)"
            record.args = None
        return True


def install_repeat_filter(window_s: float = DEFAULT_WINDOW_S) -> RepeatFilter:
    """Put one RepeatFilter on every handler of the root logger (filters on a logger would
    miss records propagated from child loggers)."""
    repeat = RepeatFilter(window_s)
    for handler in logging.getLogger().handlers:
        handler.addFilter(repeat)
    return repeat
