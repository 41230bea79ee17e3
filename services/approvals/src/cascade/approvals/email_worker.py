"""The email pollers: claim a due email, send it through SMTP outside any transaction,
record the outcome fenced by the lease (`cascade.shared.leased_jobs`).

Sent: the job row (with the server's answer) and an `email_sends` row, in one transaction.
A crash between the server's 250 and that commit (crash point `email_after_smtp_accept`)
leaves the lease to run out; the retaken job sends once more, with the same Message-ID,
so the duplicate is recognisable. Failed for good (a 5xx, or the schedule exhausted): a
`workflow.alert` through the outbox, and Mike's Resend on the proposal page.
"""

from __future__ import annotations

import asyncio
import logging
import random

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cascade.approvals.email_jobs import EMAILS, ClaimedEmail
from cascade.approvals.email_outcomes import (
    LEASE_LOST_ERROR,
    UNKNOWN_OUTCOME_ERROR,
    EmailAttempt,
    alert_envelope,
    email_schedule,
    finished_values,
)
from cascade.approvals.smtp import Outgoing, classify, send
from cascade.approvals.ui_settings import UiSettings
from cascade.approvals.unit_of_work import EmailOutcomeWork, SqlApprovalsWork
from cascade.shared.canonical import sha256_of
from cascade.shared.crash import crash_point
from cascade.shared.db.models import EmailSend, ProposedAction
from cascade.shared.db.uow import UnitOfWork
from cascade.shared.leased_jobs import (
    JobConfig,
    JobStep,
    LeasedWorker,
    claim_jobs,
    exhausted_step,
    next_step,
    seconds_until_due,
)
from cascade.shared.runtime import BackgroundFactory, ServiceRuntime
from cascade.shared.settings import Settings
from cascade.shared.text_rules import address_problem, control_character_problem
from cascade.shared.topics import Topic, topic_name
from cascade.shared.wakeup import Wakeup

log = logging.getLogger(__name__)

CRASH_AFTER_ACCEPT = "email_after_smtp_accept"


def email_config(settings: Settings, ui: UiSettings, wake: Wakeup | None = None) -> JobConfig:
    """The schedule, the lease (outlasting a send twice), the pace (the poll a safety net
    behind `wake`, `email_workers` sends at once), the crash point."""
    return JobConfig(
        schedule=email_schedule(settings),
        lease_s=max(settings.email_lease_s, 2 * ui.smtp_timeout_s + 5),
        poll_s=settings.email_poll_ms / 1000,
        crash_at=settings.crash_at,
        wake=wake,
        concurrency=settings.email_workers,
    )


class EmailJobs:
    """The approved email as a leased job kind; a process shares one over its pollers."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        ui: UiSettings,
        config: JobConfig,
        rng: random.Random,
    ) -> None:
        self._factory = factory
        self._ui = ui
        self._config = config
        self._rng = rng
        self._alerts = topic_name(settings.topic_prefix, Topic.WORKFLOW_ALERT)

    async def claim(self, limit: int) -> list[ClaimedEmail]:
        """Lease up to `limit` of the most overdue emails."""
        cap = self._config.schedule.max_attempts or 1
        return await claim_jobs(self._factory, EMAILS, self._config.lease_s, cap, limit)

    async def next_due(self) -> float | None:
        """Seconds until an email falls due (a retry's back-off, a lease running out)."""
        return await seconds_until_due(self._factory, EMAILS)

    async def attempt(self, email: ClaimedEmail) -> EmailAttempt:
        """One SMTP transaction; any failure becomes the schedule's next step."""
        if email.exhausted:
            return EmailAttempt(exhausted_step(email.attempt, LEASE_LOST_ERROR))
        if email.retaken:
            # SMTP has no idempotency key: after an unrecorded attempt, sending again could
            # deliver twice. Failing visibly (alert, Resend on the page) hands it to Mike.
            return EmailAttempt(JobStep("failed", UNKNOWN_OUTCOME_ERROR))
        mail = await self._outgoing(email)
        if mail is None:
            error = "the stored payload no longer matches the approved hash"
            return EmailAttempt(JobStep("failed", error))
        refused = unsendable(mail)
        if refused is not None:
            return EmailAttempt(JobStep("failed", refused))
        try:
            answer = await send(self._ui, mail)
        except Exception as exc:
            failure = classify(exc)
            schedule = self._config.schedule
            step = next_step(email.attempt, schedule, self._rng, failure.error, failure.permanent)
            return EmailAttempt(step)
        # The server has the email; nothing records that yet (the at-most-once-more window).
        crash_point(self._config.crash_at, CRASH_AFTER_ACCEPT)
        return EmailAttempt(JobStep("done"), answer)

    async def record(self, email: ClaimedEmail, attempt: EmailAttempt) -> bool:
        """Commit the outcome fenced by the lease (`record_email`)."""
        async with UnitOfWork(self._factory) as uow:
            return await record_email(SqlApprovalsWork(uow), email, attempt, self._alerts)

    def describe(self, email: ClaimedEmail) -> str:
        """The email in a log line."""
        return str(email)

    async def _outgoing(self, email: ClaimedEmail) -> Outgoing | None:
        # The approved payload, read again: sent only while it still has the approved hash.
        async with self._factory() as session:
            proposal = await session.get(ProposedAction, email.proposal_id)
        if proposal is None or sha256_of(proposal.payload) != email.payload_sha256:
            return None
        return Outgoing(
            to=email.recipient,
            subject=str(proposal.payload["subject"]),
            body=str(proposal.payload["body"]),
            message_id=email.message_id,
        )


def unsendable(mail: Outgoing) -> str | None:
    """Why `mail` must never reach SMTP (pure): not exactly one valid recipient, or a header
    field with control characters. Every edge refuses such values already; this guard also
    covers drafts staged before those rules, and fails for good (no retry can cure it)."""
    problem = address_problem(mail.to)
    if problem is not None:
        return f"recipient refused before sending: {problem}"
    problem = control_character_problem(mail.subject)
    if problem is not None:
        return f"subject refused before sending: {problem}"
    return None


async def record_email(
    uow: EmailOutcomeWork, email: ClaimedEmail, attempt: EmailAttempt, alerts: str
) -> bool:
    """Write the job's outcome while its lease is ours, with the `email_sends` row when sent
    and a `workflow.alert` (on topic `alerts`) when failed for good, then commit; False
    (nothing written) when another poller retook the email."""
    values = finished_values(attempt)
    if not await uow.email_jobs.write_fenced(email.job_id, email.lease_until, values):
        return False
    if attempt.step.status == "done":
        await uow.email_sends.keep_first(
            EmailSend(
                proposal_id=email.proposal_id, run_id=email.run_id, recipient=email.recipient,
                message_id=email.message_id, payload_sha256=email.payload_sha256,
                smtp_response=attempt.smtp_response or "",
            )
        )  # fmt: skip
    elif attempt.step.status == "failed":
        uow.stage(alerts, alert_envelope(email, attempt.step))
    await uow.commit()
    _log_step(email, attempt.step)
    return True


def _log_step(email: ClaimedEmail, step: JobStep) -> None:
    if step.status == "done":
        log.info("approvals: %s sent", email)
    elif step.status == "retrying":
        log.warning(
            "approvals: %s failed, retry in %.1fs: %s", email, step.delay_s or 0.0, step.error
        )
    else:
        log.error("approvals: %s failed for good: %s", email, step.error)


def email_pollers(runtime: ServiceRuntime, ui: UiSettings) -> BackgroundFactory:
    """The email worker of this process (`email_workers` sends at once, one jitter source)."""
    settings = runtime.settings

    async def run(stop: asyncio.Event) -> None:
        config = email_config(settings, ui, runtime.bells[EMAILS.bell])
        rng = random.Random(settings.email_jitter_seed)
        jobs = EmailJobs(runtime.session_factory, settings, ui, config, rng)
        await LeasedWorker(jobs, config.pace("approvals-email"), jobs.next_due).run(stop)

    return run
