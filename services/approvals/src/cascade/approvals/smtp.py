"""Sending one email through SMTP (stdlib smtplib, off the event loop)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from cascade.approvals.ui_settings import UiSettings


class SmtpNotConfigured(Exception):
    """CASCADE_SMTP_HOST is unset: approved emails wait (retried, then dead-lettered)."""


@dataclass(frozen=True)
class Outgoing:
    """One email: recipient, subject, text and its stable Message-ID."""

    to: str
    subject: str
    body: str
    message_id: str


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


def _send_sync(settings: UiSettings, message: EmailMessage) -> str:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s) as s:
        if settings.smtp_starttls:
            s.starttls()
        if settings.smtp_username and settings.smtp_password is not None:
            s.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        refused = s.send_message(message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)
        code, text = s.noop()
        return f"accepted for {message['To']}; noop {code} {text.decode(errors='replace')}"


async def send(settings: UiSettings, mail: Outgoing) -> str:
    """Send `mail`; returns what the server said. Raises on any SMTP failure."""
    if not settings.smtp_host:
        raise SmtpNotConfigured("CASCADE_SMTP_HOST is not set")
    return await asyncio.to_thread(_send_sync, settings, message_of(mail, settings.smtp_from))
