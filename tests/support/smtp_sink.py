"""A real SMTP server (aiosmtpd) on a free local port that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import anyio
from aiosmtpd.controller import Controller


@dataclass
class SmtpSink:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    refuse: bool = False  # answer every DATA with a permanent failure
    _changed: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 refused by the test"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()
        return "250 OK"

    async def wait_for(self, count: int, within: float = 30.0) -> list[EmailMessage]:
        def wait() -> bool:
            with self._changed:
                return self._changed.wait_for(lambda: len(self.messages) >= count, within)

        if not await anyio.to_thread.run_sync(wait):
            raise AssertionError(f"{count} message(s) expected, {len(self.messages)} arrived")
        return list(self.messages)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink("127.0.0.1", _free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
