"""Sending one message over SMTP with aiosmtplib (the outbox's ``Mailer``)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from server.settings import Settings


class Mailer(Protocol):
    async def send(self, *, recipient: str, subject: str, body: str, message_id: str) -> None:
        """Deliver one message; raise on any failure (the outbox retries)."""
        ...


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def configured(self) -> bool:
        return bool(self._settings.smtp_host)

    async def send(self, *, recipient: str, subject: str, body: str, message_id: str) -> None:
        s = self._settings
        message = EmailMessage()
        message["From"] = s.mail_from
        message["To"] = recipient
        message["Subject"] = subject
        # a stable id per outbox row: a retried message is recognisably the same message
        message["Message-ID"] = f"<{message_id}@duet>"
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password or None,
            use_tls=s.smtp_security == "tls",
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout_seconds,
        )
