"""Durations as people write them in contracts: ``500ms``, ``5s``, ``15m``, ``24h``, ``7d``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_PATTERN = re.compile(r"^\s*(\d+)\s*(ms|s|m|h|d)\s*$")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
DURATION_PATTERN = r"^\s*\d+\s*(ms|s|m|h|d)\s*$"


def parse_duration(text: str) -> timedelta:
    """Parse ``<integer><unit>`` (units ms, s, m, h, d) into a timedelta."""
    match = _PATTERN.match(text)
    if match is None:
        raise ValueError(f"expected a duration like 5s, 15m, 24h or 7d, got {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(value: timedelta) -> str:
    """Render in the largest unit that divides the value exactly (inverse of parse_duration)."""
    millis = round(value.total_seconds() * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if millis and millis % size == 0:
            return f"{millis // size}{unit}"
    return f"{millis}ms"


def _coerce(value: object) -> object:
    # Strings use the contract notation; timedeltas pass through so models can be built in code.
    # Bare numbers are refused: "is 15 seconds or minutes?" must never be guessed.
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, timedelta):
        return value
    raise ValueError(f"expected a duration like 5s, 15m, 24h or 7d, got {value!r}")


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["5s", "15m"]}),
]
"""A contract duration: YAML ``15m`` in, ``timedelta`` in Python, ``"15m"`` when dumped."""
