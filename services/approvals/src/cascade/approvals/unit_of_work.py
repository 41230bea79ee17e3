"""The approvals service's units of work: what each use case may touch, and the SQL one.

A route opens a `UnitOfWork` and hands its use case `SqlApprovalsWork(uow)`; the email
consumer does the same with its open one, the email worker with one it opened; the fast
tests hand in `tests/fakes.py`'s fake.
"""

from __future__ import annotations

from typing import Protocol

from cascade.approvals.email_jobs import EmailJobs, SqlEmailJobs
from cascade.approvals.repositories import (
    DeadLetters,
    EmailSends,
    Proposals,
    Pushes,
    RunStarts,
    SqlDeadLetters,
    SqlEmailSends,
    SqlProposals,
    SqlPushes,
    SqlRunStarts,
)
from cascade.approvals.sessions import SqlUiSessions, UiSessions
from cascade.approvals.throttle import LoginThrottles, SqlLoginThrottles
from cascade.shared.db.models import ApprovalAudit
from cascade.shared.db.rows import Rows, SqlRows
from cascade.shared.db.uow import AbstractUnitOfWork, BoundUnitOfWork, UnitOfWork


class DecisionWork(AbstractUnitOfWork, Protocol):
    """Deciding or editing a proposal: the proposals and their audit trail."""

    proposals: Proposals
    audits: Rows[ApprovalAudit]
    """`approval_audit`: append-only, one row per act."""


class PushActionWork(DecisionWork, Protocol):
    """Retrying or correcting a failed NetSuite push, audited under the run's gate."""

    pushes: Pushes


class EmailWork(DecisionWork, Protocol):
    """Queueing an approved email (Resend is `email_jobs.ResendWork`)."""

    email_jobs: EmailJobs


class EmailOutcomeWork(AbstractUnitOfWork, Protocol):
    """Recording what one send of an approved email did (`email_worker.record_email`)."""

    email_jobs: EmailJobs
    email_sends: EmailSends


class RunStartWork(AbstractUnitOfWork, Protocol):
    """Starting a run from the Execute form."""

    run_starts: RunStarts


class RedriveWork(AbstractUnitOfWork, Protocol):
    """Re-publishing a dead letter, audited."""

    dead_letters: DeadLetters
    audits: Rows[ApprovalAudit]


class SessionWork(AbstractUnitOfWork, Protocol):
    """Checking a session on a request, or closing it at logout."""

    ui_sessions: UiSessions


class LoginWork(SessionWork, Protocol):
    """A login: its reservation under the throttle, then the new session."""

    login_throttles: LoginThrottles


class SqlLoginWork(BoundUnitOfWork):
    """`LoginWork` in PostgreSQL: the UI's sessions and login throttle, inside an open
    `UnitOfWork` (who may use the UI, apart from what they do in it)."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        self.login_throttles: LoginThrottles = SqlLoginThrottles(uow.session)
        self.ui_sessions: UiSessions = SqlUiSessions(uow.session)


class SqlApprovalsWork(BoundUnitOfWork):
    """Every approvals unit of work in PostgreSQL, inside an open `UnitOfWork`."""

    def __init__(self, uow: UnitOfWork) -> None:
        super().__init__(uow)
        session = uow.session
        self.proposals: Proposals = SqlProposals(session)
        self.audits: Rows[ApprovalAudit] = SqlRows(session)
        self.pushes: Pushes = SqlPushes(session)
        self.email_jobs: EmailJobs = SqlEmailJobs(session)
        self.email_sends: EmailSends = SqlEmailSends(session)
        self.run_starts: RunStarts = SqlRunStarts(session)
        self.dead_letters: DeadLetters = SqlDeadLetters(session)
