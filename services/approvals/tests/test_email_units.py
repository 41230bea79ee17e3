"""Pure parts of approved-email sending: which SMTP failures are permanent, the job row
after each step, the alert of a final failure."""

from __future__ import annotations

import smtplib
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from cascade.approvals import fmt
from cascade.approvals.email_jobs import ClaimedEmail
from cascade.approvals.email_outcomes import EmailAttempt, alert_envelope, finished_values
from cascade.approvals.email_worker import unsendable
from cascade.approvals.smtp import Outgoing, SmtpNotConfigured, classify
from cascade.approvals.web import TEMPLATES
from cascade.shared.leased_jobs import JobStep
from cascade.shared.payloads import WorkflowAlert

RUN = uuid.UUID("00000000-0000-0000-0000-000000000007")


@pytest.mark.parametrize(
    ("exc", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"rejected as spam"), True),
        (smtplib.SMTPSenderRefused(451, b"try later", "c@x"), False),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), False),
        (ConnectionRefusedError(111, "Connection refused"), False),
        (TimeoutError("timed out"), False),
        (SmtpNotConfigured("CASCADE_SMTP_HOST is not set"), False),
    ],
)
def test_only_5xx_answers_are_permanent(exc: BaseException, permanent: bool) -> None:
    assert classify(exc).permanent is permanent


def test_the_failure_keeps_the_servers_words() -> None:
    failure = classify(smtplib.SMTPRecipientsRefused({"a@x": (550, b"5.1.1 no such user")}))
    assert failure.error == "recipient refused: 550 5.1.1 no such user"


def test_the_row_after_each_step() -> None:
    sent = finished_values(EmailAttempt(JobStep("done"), "250 OK queued"))
    assert (sent["status"], sent["smtp_response"], sent["next_attempt_at"]) == (
        "sent",
        "250 OK queued",
        None,
    )
    assert "sent_at" in sent
    retrying = finished_values(EmailAttempt(JobStep("retrying", "421 busy", 30.0)))
    assert (retrying["status"], retrying["last_error"]) == ("retrying", "421 busy")
    assert retrying["next_attempt_at"] is not None
    assert retrying["lease_until"] is None
    failed = finished_values(EmailAttempt(JobStep("failed", "550 no")))
    assert (failed["status"], failed["next_attempt_at"], "sent_at" in failed) == (
        "failed",
        None,
        False,
    )


def claimed(round_no: int) -> ClaimedEmail:
    return ClaimedEmail(
        job_id=1, proposal_id=7, run_id=RUN, recipient="jane@acme.example",
        message_id="<cascade-proposal-7-v2@cascade.example>", payload_sha256="ab" * 32,
        attempt=1, round=round_no, lease_until=datetime(2026, 12, 1, tzinfo=UTC),
        exhausted=False,
    )  # fmt: skip


def test_a_final_failure_alerts_once_per_round() -> None:
    step = JobStep("failed", "SMTP 550 no")
    first, again = alert_envelope(claimed(0), step), alert_envelope(claimed(0), step)
    resent = alert_envelope(claimed(1), step)
    assert first.idempotency_key == again.idempotency_key == f"workflow.alert:{RUN}:email:7:failed"
    assert resent.idempotency_key.endswith(":email:7:failed:retry1")
    alert = WorkflowAlert.model_validate(first.data)
    assert alert.reason == "email_send_failed"
    assert "SMTP 550 no" in alert.detail
    assert alert.context["resend"] == "POST /proposals/7/resend"


WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def status_html(status: str, **job: object) -> str:
    e = SimpleNamespace(
        proposal_id=7, status=status, attempts=3, last_error="SMTP 421 busy",
        next_attempt_at=WHEN, sent_at=WHEN, message_id="<m@x>", smtp_response="250 OK",
    )  # fmt: skip
    for key, value in job.items():
        setattr(e, key, value)
    user = SimpleNamespace(csrf_token="tok")
    return " ".join(
        TEMPLATES.get_template("_email_status.html").render(e=e, fmt=fmt, user=user).split()
    )


def test_each_status_says_where_the_email_is() -> None:
    assert "Queued" in status_html("queued")
    assert "Sending (attempt 3)" in status_html("sending")
    retrying = status_html("retrying")
    assert "Attempt 3 failed: SMTP 421 busy" in retrying
    assert f"Next attempt at {fmt.when(WHEN)}" in retrying
    assert "Sent " in status_html("sent")
    assert "&lt;m@x&gt;" in status_html("sent"), "escaped"
    failed = status_html("failed", last_error="recipient refused: 550 no")
    assert "Failed after 3 attempt(s): recipient refused: 550 no" in failed
    assert 'action="/proposals/7/resend"' in failed
    assert 'value="tok"' in failed
    assert "resend" not in status_html("sent")


@pytest.mark.parametrize(
    ("to", "subject", "refused"),
    [
        ("ops@acme.example", "Welcome to Acme", None),
        ("a@acme.example, attacker@evil.example", "Welcome", "recipient"),
        ("not-an-email", "Welcome", "recipient"),
        ("ops@acme.example\r\nBcc: attacker@evil.example", "Welcome", "recipient"),
        ("ops@acme.example", "Welcome\r\nBcc: attacker@evil.example", "subject"),
    ],
)
def test_the_sender_refuses_what_no_edge_should_have_let_through(
    to: str, subject: str, refused: str | None
) -> None:
    mail = Outgoing(to=to, subject=subject, body="Hello\r\nthere", message_id="<m@x>")
    problem = unsendable(mail)
    if refused is None:
        assert problem is None
    else:
        assert problem is not None
        assert problem.startswith(f"{refused} refused before sending")
