"""Every status column's values, one `StrEnum` each: the code compares and writes these, the
models declare them as CHECK constraints and migration 0016 puts those constraints in the
database, so a value outside the set is refused by PostgreSQL instead of stranding a row that no
query looks for (a poller selects `status IN (...)`; a typo there would be a run that never moves).

`StrEnum` members are `str`: `row.status == RunStatus.RUNNING` and a row read back as a plain
string compare equal, and SQL parameters need no conversion.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import CheckConstraint, MetaData


class RunStatus(StrEnum):
    """A workflow run (`workflow_runs.status`, also each `workflow_run_log.status`)."""

    REQUESTED = "requested"
    AWAITING_APPROVAL = "awaiting_approval"
    RUNNING = "running"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    EXPIRED = "expired"


class StepStatus(StrEnum):
    """A fan-out step (`workflow_run_steps.status`): `waiting_needs` waits for the steps it
    needs; `ready` and `retrying` are taken by the step poller; `awaiting_result` waits for an
    external answer (NetSuite's, through ns-pusher)."""

    WAITING_NEEDS = "waiting_needs"
    READY = "ready"
    RETRYING = "retrying"
    AWAITING_RESULT = "awaiting_result"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class ProposalStatus(StrEnum):
    """A proposal waiting for (or decided by) its approver (`proposed_actions.status`)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class CheckStatus(StrEnum):
    """A verify check (`workflow_verify_results.status`): `pending` until due, `running`
    while a verifier holds its lease, then its final status, or `skipped` when it could not
    be specified."""

    PENDING = "pending"
    RUNNING = "running"
    PASS = "pass"  # noqa: S105 (a check outcome, not a password)
    FAIL = "fail"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


class FinalCheckStatus(StrEnum):
    """How a check ended (`verify_repairs.verified`, the re-verification after a repair)."""

    PASS = "pass"  # noqa: S105 (a check outcome, not a password)
    FAIL = "fail"
    TIMEOUT = "timeout"


class CheckKind(StrEnum):
    """What a verify check reads (`workflow_verify_results.kind`): the contract's `kind`."""

    SQL = "sql"
    HTTP = "http"
    OBJECT = "object"


class PushStatus(StrEnum):
    """A queued NetSuite push (`ns_pending_pushes.status`): applied only once NetSuite
    confirmed it."""

    PENDING = "pending"
    RETRYING = "retrying"
    IN_FLIGHT = "in_flight"
    APPLIED = "applied"
    FAILED = "failed"


class ObjectPutStatus(StrEnum):
    """A durable object-store upload (`object_puts.status`)."""

    QUEUED = "queued"
    RETRYING = "retrying"
    PUTTING = "putting"
    STORED = "stored"
    FAILED = "failed"


class EmailJobStatus(StrEnum):
    """A durable email send (`email_jobs.status`)."""

    QUEUED = "queued"
    RETRYING = "retrying"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class RepairStatus(StrEnum):
    """A repair of a failed check (`verify_repairs.status`): proposed (waiting for the
    approver) -> running -> done | failed, or rejected."""

    PROPOSED = "proposed"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"


class TickOutcome(StrEnum):
    """A cron tick (`trigger_ticks.outcome`): `fired` (a run was asked for), `refused` (the
    contract refused its inputs), `skipped` (passed over by `catch_up`) or `baseline` (before
    the scheduler first started)."""

    FIRED = "fired"
    REFUSED = "refused"
    SKIPPED = "skipped"
    BASELINE = "baseline"


class AgentOutcome(StrEnum):
    """An agent's tool call (`agent_audit.outcome`)."""

    OK = "ok"
    REFUSED = "refused"


_COLUMN = "status_column"
"""Where a status CHECK keeps its column and enum (`Constraint.info`), for `status_columns`
(the constraint's own name is rewritten by the naming convention once it joins its table)."""


def status_check(column: str, values: type[StrEnum]) -> CheckConstraint:
    """The CHECK keeping `column` to the enum's values, for its model's `__table_args__`; the
    naming convention names it `ck_<table>_<column>`. NULL allowed or not is the column's own
    nullability, not this constraint's."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(
        f"{column} IN ({allowed})", name=column, info={_COLUMN: (column, values)}
    )


@dataclass(frozen=True)
class StatusColumn:
    """One constrained column, as the models declare it: its table, name and enum."""

    table: str
    column: str
    values: type[StrEnum]
    sql: str

    @property
    def name(self) -> str:
        """The constraint's name before the naming convention adds `ck_<table>_`."""
        return self.column


def status_columns(metadata: MetaData) -> tuple[StatusColumn, ...]:
    """Every `status_check` the models declare: the one list the migration and the schema
    test read, so a status column cannot be constrained in one place and not the other."""
    return tuple(
        StatusColumn(table.name, column, values, str(check.sqltext))
        for table in metadata.sorted_tables
        for check in table.constraints
        if isinstance(check, CheckConstraint) and _COLUMN in check.info
        for column, values in [check.info[_COLUMN]]
    )
