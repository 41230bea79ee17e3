"""The email worker's outcome of a send (`email_worker.record_email`), on the in-memory
unit of work."""

from __future__ import annotations

import uuid
from datetime import timedelta

from cascade.approvals.email_jobs import ClaimedEmail
from cascade.approvals.email_outcomes import EmailAttempt
from cascade.approvals.email_worker import record_email
from cascade.shared.db.models import EmailJob, EmailSend
from cascade.shared.leased_jobs import JobStep

from .fakes import NOW, FakeApprovalsWork

RUN = uuid.UUID("e1a10000-0000-4000-8000-000000000001")
LEASE = NOW + timedelta(minutes=2)
ALERTS = "t.workflow.alert"
MESSAGE_ID = "<cascade-proposal-7-v1@example.com>"
SENT = EmailAttempt(JobStep("done"), "250 2.0.0 queued as 4711")


def sending(uow: FakeApprovalsWork) -> EmailJob:
    """Proposal 7's approved email, claimed by this poller until LEASE."""
    job = EmailJob(
        id=1, proposal_id=7, run_id=RUN, version=1, payload_sha256="ab" * 32,
        recipient="ops@acme.example", message_id=MESSAGE_ID, status="sending",
        lease_until=LEASE,
    )  # fmt: skip
    uow.email_jobs.rows[7] = job
    return job


def claimed(job: EmailJob, round_no: int = 0) -> ClaimedEmail:
    return ClaimedEmail(
        job_id=job.id, attempt=1, round=round_no, lease_until=LEASE, proposal_id=7, run_id=RUN,
        recipient=job.recipient, message_id=job.message_id, payload_sha256=job.payload_sha256,
    )  # fmt: skip


async def test_a_sent_email_records_the_servers_answer() -> None:
    uow = FakeApprovalsWork()
    job = sending(uow)
    assert await record_email(uow, claimed(job), SENT, ALERTS)
    assert job.status == "sent"
    send = uow.email_sends.rows[7]
    assert (send.run_id, send.recipient, send.message_id, send.smtp_response) == (
        RUN,
        "ops@acme.example",
        MESSAGE_ID,
        "250 2.0.0 queued as 4711",
    )
    assert uow.staged == []
    assert uow.committed


async def test_a_resend_after_an_unknown_outcome_keeps_the_first_accepted_send() -> None:
    uow = FakeApprovalsWork()
    job = sending(uow)
    first = EmailSend(proposal_id=7, run_id=RUN, message_id=MESSAGE_ID, smtp_response="250 a")
    uow.email_sends.rows[7] = first
    assert await record_email(uow, claimed(job, round_no=1), SENT, ALERTS)
    assert uow.email_sends.rows == {7: first}
    assert job.status == "sent"


async def test_a_send_to_retry_records_the_job_only() -> None:
    uow = FakeApprovalsWork()
    job = sending(uow)
    retry = EmailAttempt(JobStep("retrying", "421 try later", 60.0))
    assert await record_email(uow, claimed(job), retry, ALERTS)
    assert (job.status, job.last_error) == ("retrying", "421 try later")
    assert uow.email_sends.rows == {}
    assert uow.staged == []
    assert uow.committed


async def test_an_email_failed_for_good_alerts_with_the_resend() -> None:
    uow = FakeApprovalsWork()
    job = sending(uow)
    failed = EmailAttempt(JobStep("failed", "550 mailbox unavailable"))
    assert await record_email(uow, claimed(job), failed, ALERTS)
    assert job.status == "failed"
    (alert,) = uow.staged_on(ALERTS)
    assert alert.idempotency_key == f"workflow.alert:{RUN}:email:7:failed"
    assert alert.data["context"]["resend"] == "POST /proposals/7/resend"
    assert uow.email_sends.rows == {}


async def test_an_outcome_after_the_lease_was_lost_writes_nothing() -> None:
    uow = FakeApprovalsWork()
    job = sending(uow)
    job.lease_until = LEASE + timedelta(minutes=2)  # another poller retook it
    assert not await record_email(uow, claimed(job), SENT, ALERTS)
    assert job.status == "sending"
    assert uow.email_sends.rows == {}
    assert not uow.committed
