"""JSON from untrusted bytes with a size and a nesting limit, checked before any parser runs.

Python's `json` recurses per nesting level and raises RecursionError (not ValueError) on deep
input, which escaped every `except ValueError` and jammed partitions; pydantic's parser has
its own, different limit. One bound, checked here first, makes both behave alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Deeper than any payload we produce (envelopes nest about 6 levels) by a wide margin."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = frozenset(b"[{")


class JsonLimitError(ValueError):
    """The document is larger or nested deeper than allowed (a ValueError, like bad JSON)."""


def check_json_limits(raw: bytes, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> None:
    """Raise JsonLimitError if `raw` exceeds `max_bytes` or nests deeper than `max_depth`.

    Cost is linear in the size and stops at the first level past the limit, so a hostile
    document of a million brackets costs `max_depth` steps after one regex pass.
    """
    if max_bytes is not None and len(raw) > max_bytes:
        raise JsonLimitError(f"document of {len(raw)} bytes exceeds the limit of {max_bytes}")
    brackets = _STRING.sub(b"", raw).translate(None, delete=bytes(set(range(256)) - set(b"[]{}")))
    depth = 0
    for char in brackets:
        depth = depth + 1 if char in _OPEN else depth - 1
        if depth > max_depth:
            raise JsonLimitError(f"document nests deeper than {max_depth} levels")


def loads_bounded(raw: bytes, max_bytes: int | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` after `check_json_limits`; every failure is a ValueError."""
    check_json_limits(raw, max_bytes, max_depth)
    try:
        return json.loads(raw)
    except RecursionError as exc:  # unreachable past the check; kept as a last guard
        raise JsonLimitError("document nests too deeply") from exc
