"""What the database knows, read when Prometheus scrapes: one SQL query per reading.

Each reading turns its rows into metric families; nothing polls in between, so an idle
system costs nothing and a scrape shows the state of that moment. The figures are
cluster-wide (every replica sees the same rows): each service exposes the readings of the
tables it owns, and the outbox and dead letters (every service writes them) everywhere, so
dashboards take `max` of those across instances.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from cascade.shared.db.statuses import ProposalStatus, StepStatus

if TYPE_CHECKING:
    from cascade.shared.contract.models import Contract

Rows = list[tuple[Any, ...]]
Read = Callable[[AsyncConnection], Awaitable[list[Metric]]]

#: Seconds from proposal to decision: minutes are normal, hours overdue, days forgotten.
#: The first buckets keep a test or demo's seconds-long waits apart too.
APPROVAL_WAIT_BUCKETS = (5.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 4 * 3600.0, 86400.0)

RUN_LABELS = ("workflow_type", "status")


@dataclass(frozen=True)
class Reading:
    """One named query and what it exposes; `names` lists its metric families (the
    dashboard test checks each panel's metric against them)."""

    name: str
    names: tuple[str, ...]
    read: Read


def _gauge(name: str, doc: str, labels: Sequence[str], rows: Rows, at: int) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=list(labels))
    for row in rows:
        family.add_metric([str(v) for v in row[: len(labels)]], float(row[at] or 0))
    return family


async def _rows(conn: AsyncConnection, sql: str, **params: object) -> Rows:
    return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]


def _grouped(
    name: str, sql: str, labels: Sequence[str], gauges: Sequence[tuple[str, str]], **params: object
) -> Reading:
    """A reading whose query groups by its first columns (`labels`) and selects one figure
    per gauge (`(metric, doc)`) after them, in the gauges' order."""

    async def read(conn: AsyncConnection) -> list[Metric]:
        rows = await _rows(conn, sql, **params)
        return [
            _gauge(metric, doc, labels, rows, len(labels) + i)
            for i, (metric, doc) in enumerate(gauges)
        ]

    return Reading(name, tuple(metric for metric, _ in gauges), read)


async def _approval_wait(conn: AsyncConnection) -> list[Metric]:
    filters = ", ".join(
        f"count(*) FILTER (WHERE wait <= {bound!r})" for bound in APPROVAL_WAIT_BUCKETS
    )
    rows = await _rows(
        conn,
        f"SELECT status, {filters}, count(*), coalesce(sum(wait), 0) FROM ("
        " SELECT status, extract(epoch FROM decided_at - created_at)::float8 AS wait"
        " FROM proposed_actions WHERE decided_at IS NOT NULL) decided GROUP BY 1",
    )
    family = HistogramMetricFamily(
        "cascade_approval_wait_seconds",
        "Time from a proposal to its decision, by decision.",
        labels=["decision"],
    )
    n = len(APPROVAL_WAIT_BUCKETS)
    for row in rows:
        buckets = [(repr(b), float(row[i + 1])) for i, b in enumerate(APPROVAL_WAIT_BUCKETS)]
        buckets.append(("+Inf", float(row[n + 1])))
        family.add_metric([str(row[0])], buckets, float(row[n + 2]))
    return [family]


def approval_windows(contracts: Iterable[Contract]) -> dict[str, float]:
    """Seconds of each contract's approval window, by workflow type (gated contracts only)."""
    return {
        c.workflow_type: c.hitl.approval_window.total_seconds()
        for c in contracts
        if c.hitl is not None
    }


def proposals_reading(windows: Mapping[str, float]) -> Reading:
    """Pending proposals, and those pending past their contract's approval window
    (`windows`: seconds by workflow type, from the contracts the service loaded)."""
    return _grouped(
        "proposals",
        "SELECT r.workflow_type, p.action_type, count(*), count(*) FILTER (WHERE"
        " p.created_at + make_interval(secs => (CAST(:windows AS jsonb) ->> r.workflow_type)"
        "::float8) <= now())"
        " FROM proposed_actions p JOIN workflow_runs r ON r.run_id = p.run_id"
        " WHERE p.status = :pending GROUP BY 1, 2",
        ("workflow_type", "action_type"),
        (
            ("cascade_proposals_pending", "Proposals awaiting a decision."),
            (
                "cascade_proposals_overdue",
                "Pending proposals past their contract's approval window.",
            ),
        ),
        pending=ProposalStatus.PENDING,
        windows=json.dumps(dict(windows)),
    )


async def _outbox(conn: AsyncConnection) -> list[Metric]:
    # The partial index on unsent rows keeps this a small scan however long the table.
    row = (
        await _rows(
            conn,
            "SELECT count(*) FILTER (WHERE failed_at IS NULL),"
            " count(*) FILTER (WHERE failed_at IS NOT NULL),"
            " coalesce(extract(epoch FROM now() - min(created_at) FILTER"
            " (WHERE failed_at IS NULL)), 0)::float8"
            " FROM outbox WHERE sent_at IS NULL",
        )
    )[0]
    return [
        GaugeMetricFamily(
            "cascade_outbox_backlog", "Outbox rows not yet published.", value=float(row[0])
        ),
        GaugeMetricFamily(
            "cascade_outbox_parked",
            "Outbox rows parked after their publish failed for good.",
            value=float(row[1]),
        ),
        GaugeMetricFamily(
            "cascade_outbox_oldest_unsent_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none waits).",
            value=float(row[2]),
        ),
    ]


_STEPS_DOC = "Fan-out steps by workflow type and status"

RUNS = _grouped(
    "runs",
    "SELECT workflow_type, status, count(*) FROM workflow_runs GROUP BY 1, 2",
    RUN_LABELS,
    (("cascade_runs", "Workflow runs by type and status."),),
)
# A step's attempts that did not succeed: all of them, except the last of a done step.
STEPS = _grouped(
    "steps",
    "SELECT r.workflow_type, s.status, count(*), coalesce(sum(s.attempts), 0),"
    " coalesce(sum(greatest(s.attempts - CASE WHEN s.status = :done THEN 1 ELSE 0 END, 0)), 0)"
    " FROM workflow_run_steps s JOIN workflow_runs r ON r.run_id = s.run_id GROUP BY 1, 2",
    RUN_LABELS,
    (
        ("cascade_steps", f"{_STEPS_DOC}."),
        ("cascade_step_attempts", f"Attempts of the {_STEPS_DOC.lower()}."),
        ("cascade_step_failed_attempts", f"Attempts that failed, of the {_STEPS_DOC.lower()}."),
    ),
    done=StepStatus.DONE,
)
APPROVAL_WAIT = Reading("approval_wait", ("cascade_approval_wait_seconds",), _approval_wait)
OUTBOX = Reading(
    "outbox",
    (
        "cascade_outbox_backlog",
        "cascade_outbox_parked",
        "cascade_outbox_oldest_unsent_age_seconds",
    ),
    _outbox,
)
DEAD_LETTERS = _grouped(
    "dead_letters",
    "SELECT consumer, topic, count(*) FROM dead_letters GROUP BY 1, 2",
    ("consumer", "topic"),
    (("cascade_dead_letters", "Dead-lettered records by consumer and source topic."),),
)
VERIFY = _grouped(
    "verify",
    "SELECT kind, status, count(*) FROM workflow_verify_results GROUP BY 1, 2",
    ("kind", "status"),
    (
        (
            "cascade_verify_results",
            "Verify checks by kind and status (pending, pass, fail, timeout).",
        ),
    ),
)
EMAILS = _grouped(
    "emails",
    "SELECT status, count(*), coalesce(sum(attempts), 0) FROM email_jobs GROUP BY 1",
    ("status",),
    (
        ("cascade_emails", "Approved emails by status."),
        (
            "cascade_email_send_attempts",
            "SMTP send attempts of approved emails, by the email's status.",
        ),
    ),
)
NETSUITE_PUSHES = _grouped(
    "netsuite_pushes",
    "SELECT record_type, status, count(*) FROM ns_pending_pushes GROUP BY 1, 2",
    ("record_type", "status"),
    (("cascade_netsuite_pushes", "NetSuite pushes by record type and status."),),
)

EVERY_SERVICE = (OUTBOX, DEAD_LETTERS)
"""Readings of the tables every service writes."""
