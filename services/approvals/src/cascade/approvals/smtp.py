"""Sending one email through SMTP (stdlib smtplib, off the event loop), and what a failure
means for the next attempt.

A 5xx answer is permanent (RFC 5321: the same transaction will fail again); a 4xx, a refused
or dropped connection, a timeout or a missing host are transient and retried by the email
job's schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from opentelemetry.trace import SpanKind

from cascade.approvals.ui_settings import UiSettings
from cascade.shared.tracing import tracer


class SmtpNotConfigured(Exception):
    """CASCADE_SMTP_HOST is unset: approved emails wait (retried on the job's schedule)."""


@dataclass(frozen=True)
class Outgoing:
    """One email: recipient, subject, text and its stable Message-ID."""

    to: str
    subject: str
    body: str
    message_id: str


@dataclass(frozen=True)
class SendFailure:
    """Why a send failed, and whether another attempt could succeed."""

    error: str
    permanent: bool


def message_of(mail: Outgoing, sender: str) -> EmailMessage:
    """The MIME message (pure)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = mail.message_id
    message.set_content(mail.body)
    return message


def _answer(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {said}".strip()


def classify(exc: BaseException) -> SendFailure:
    """A failed send as the job sees it (pure): 5xx answers are permanent, the rest not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        said = "; ".join(_answer(code, text) for code, text in answers)
        permanent = bool(answers) and all(500 <= code < 600 for code, _ in answers)
        return SendFailure(f"recipient refused: {said}", permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        said = _answer(exc.smtp_code, exc.smtp_error)
        return SendFailure(f"SMTP {said}", 500 <= exc.smtp_code < 600)
    return SendFailure(f"{type(exc).__name__}: {exc}", False)


def _transact(s: smtplib.SMTP, settings: UiSettings, mail: Outgoing) -> str:
    s.ehlo_or_helo_if_needed()
    if settings.smtp_starttls:
        s.starttls()
        s.ehlo()
    if settings.smtp_username and settings.smtp_password is not None:
        s.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    # mail/rcpt/data one by one (not send_message) to keep the server's final answer.
    code, text = s.mail(settings.smtp_from)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, text, settings.smtp_from)
    code, text = s.rcpt(mail.to)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({mail.to: (code, text)})
    code, text = s.data(message_of(mail, settings.smtp_from).as_bytes())
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
    return _answer(code, text)


def _send_sync(settings: UiSettings, mail: Outgoing) -> str:
    assert settings.smtp_host is not None
    s = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s)
    try:
        answer = _transact(s, settings, mail)
        # Not `with`: its QUIT raises on an odd answer, and after a 250 the email is sent
        # whatever QUIT says.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            s.quit()
        return answer
    finally:
        s.close()


async def send(settings: UiSettings, mail: Outgoing) -> str:
    """Send `mail`; returns the server's answer to the message (`250 ...`). Raises on any
    SMTP failure (see `classify`)."""
    if not settings.smtp_host:
        raise SmtpNotConfigured("CASCADE_SMTP_HOST is not set")
    # A client span like httpx's: the SMTP hop of the run's trace (the email job continues it).
    attributes: dict[str, str | int] = {
        "server.address": settings.smtp_host,
        "server.port": settings.smtp_port,
        "network.protocol.name": "smtp",
    }
    with tracer().start_as_current_span("smtp send", kind=SpanKind.CLIENT, attributes=attributes):
        return await asyncio.to_thread(_send_sync, settings, mail)
