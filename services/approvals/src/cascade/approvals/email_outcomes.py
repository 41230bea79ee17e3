"""What an attempt to send an approved email means for its job row and for operators. No IO.

The schedule, the cap and rounds are the shared leased-job rules; here are the email's own
names for each step, its row after each attempt and the alert of a final failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func

from cascade.approvals.decisions import SOURCE
from cascade.approvals.email_jobs import ClaimedEmail
from cascade.shared import alerts
from cascade.shared.db.statuses import EmailJobStatus
from cascade.shared.envelope import Envelope
from cascade.shared.leased_jobs import JobStatus, JobStep, RetrySchedule
from cascade.shared.payloads import WorkflowAlert
from cascade.shared.settings import Settings

# How an email job names each step of the shared schedule.
EMAIL_STATUS: dict[JobStatus, EmailJobStatus] = {
    "done": EmailJobStatus.SENT,
    "retrying": EmailJobStatus.RETRYING,
    "failed": EmailJobStatus.FAILED,
}
LEASE_LOST_ERROR = (
    "the sender stopped during the last allowed attempt, so whether the SMTP server took the "
    "email is unknown; a Resend carries the same Message-ID"
)

UNKNOWN_OUTCOME_ERROR = (
    "the sender stopped during a send and nothing recorded the SMTP server's answer, so "
    "whether the email went out is unknown; it is not sent again on its own (that could "
    "send it twice): check the recipient's mailbox for its Message-ID and Resend if it did "
    "not arrive"
)


def email_schedule(settings: Settings) -> RetrySchedule:
    """Attempts and back-off of approved emails (minutes by default)."""
    return RetrySchedule(
        max_attempts=settings.email_max_attempts,
        base_s=settings.email_backoff_base_s,
        max_s=settings.email_backoff_max_s,
    )


@dataclass(frozen=True)
class EmailAttempt:
    """What one send did: the next step and, when sent, the server's answer."""

    step: JobStep
    smtp_response: str | None = None


def finished_values(attempt: EmailAttempt) -> dict[str, Any]:
    """The job row after an attempt."""
    step = attempt.step
    values: dict[str, Any] = {
        "status": EMAIL_STATUS[step.status],
        "last_error": step.error,
        "lease_until": None,
        "next_attempt_at": None,
        "updated_at": func.now(),
    }
    if step.status == "done":
        values["smtp_response"] = attempt.smtp_response
        values["sent_at"] = func.now()
    if step.status == "retrying":
        values["next_attempt_at"] = func.now() + timedelta(seconds=step.delay_s or 0.0)
    return values


def alert_envelope(email: ClaimedEmail, step: JobStep) -> Envelope:
    """`workflow.alert` for an email that failed for good; keyed per proposal and round."""
    alert = WorkflowAlert(
        severity="error",
        reason="email_send_failed",
        detail=f"approved email of proposal {email.proposal_id} to {email.recipient} was not "
        f"sent: {step.error}",
        context={
            "proposal_id": email.proposal_id,
            "message_id": email.message_id,
            "attempts": email.attempt,
            "resend": f"POST /proposals/{email.proposal_id}/resend",
        },
    )
    retry = f":retry{email.round}" if email.round else ""
    return alerts.envelope(SOURCE, email.run_id, f"email:{email.proposal_id}:failed{retry}", alert)
