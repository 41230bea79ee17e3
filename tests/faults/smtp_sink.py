"""A real local SMTP server (aiosmtpd) that records every message and can be stopped."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sink accepted (answered 250 to)."""

    message_id: str
    recipients: tuple[str, ...]
    subject: str


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[ReceivedMail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        parsed = message_from_bytes(raw, policy=default_policy)
        mail = ReceivedMail(
            message_id=str(parsed.get("Message-ID", "")),
            recipients=tuple(str(r) for r in envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
        )
        with self.lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server on 127.0.0.1:`port`; `stop()` makes it refuse connections (an outage)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._recorder = _Recorder()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        """True while the server accepts connections."""
        return self._controller is not None

    def start(self) -> None:
        """Listen (again) on the same port; what was received before is kept."""
        if self._controller is not None:
            return
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": self.port}
        controller = Controller(self._recorder, **kwargs)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: clients get "connection refused" until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[ReceivedMail]:
        """Every message accepted so far (duplicates included)."""
        with self._recorder.lock:
            return list(self._recorder.mails)
