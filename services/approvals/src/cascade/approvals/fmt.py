"""Pure formatting for the pages: ages, time left, durations, `<time>` tags, pretty JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from markupsafe import Markup


def span(seconds: float) -> str:
    """A duration as Mike reads it: `45s`, `12m`, `3h 05m`, `2d 4h`."""
    s = int(abs(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def age(created: datetime | None, now: datetime) -> str:
    """How long ago `created` was."""
    return "—" if created is None else span((now - created).total_seconds())


def window_left(created: datetime, window: timedelta | None, expires: datetime | None,
                now: datetime) -> str:  # fmt: skip
    """What an inbox line says of a pending proposal's time: against the contract's approval
    window when it declares one (`12m 03s left`, `overdue by 5m 00s`), else until expiry."""
    if window is None:
        left = time_left(expires, now)
        return left if left in ("expired", "never") else f"{left} left"
    remaining = (created + window - now).total_seconds()
    return f"{span(remaining)} left" if remaining > 0 else f"overdue by {span(remaining)}"


def time_left(expires: datetime | None, now: datetime) -> str:
    """Time until expiry, or `expired`, or `never`."""
    if expires is None:
        return "never"
    left = (expires - now).total_seconds()
    return "expired" if left <= 0 else span(left)


def duration(start: datetime | None, end: datetime | None, now: datetime) -> str:
    """A run's duration so far (or in all, once ended)."""
    if start is None:
        return "—"
    return span(((end or now) - start).total_seconds())


def when(value: datetime | None) -> str:
    """A timestamp to the second, UTC."""
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def pretty(value: Any) -> str:
    """JSON indented for a <pre>, keys sorted like the hashed form."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def time_tag(value: datetime | None) -> Markup:
    """A `<time>` element: the machine-readable UTC instant, UTC text that `ui.js` turns into
    the viewer's local time, and the UTC text kept on hover."""
    if value is None:
        return Markup("—")
    shown = when(value.astimezone(UTC))
    return Markup('<time datetime="{}" title="{}">{}</time>').format(iso_utc(value), shown, shown)


def iso_utc(value: datetime) -> str:
    """An instant as ISO 8601 in UTC to the second, `2026-12-01T13:31:34Z`."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary_pairs(summary: object) -> list[dict[str, str]]:
    """A run's summary as {label, value} pairs (pure); odd entries and empty values are left
    out, so a run written before summaries existed shows none."""
    pairs = summary if isinstance(summary, list) else []
    return [
        {"label": str(p["label"]), "value": str(p["value"])}
        for p in pairs
        if isinstance(p, dict) and p.get("label") and p.get("value") not in (None, "")
    ]
