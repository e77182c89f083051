"""The mail outbox against a real SMTP server (aiosmtpd), on both databases: a message is sent
once; a refused or unreachable server leaves it queued with its error and a growing wait, and
after the last attempt it is failed; a retried message keeps its Message-ID."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from server.accounts.models import Organization
from server.hiring.outbox import MailOutbox, backoff, enqueue
from server.hiring.smtp_mailer import SmtpMailer
from server.settings import Settings
from server.store.account_repository import SqlAccountRepository
from server.store.database import Database
from server.store.migrate import upgrade
from server.tokens import new_id
from tests.support.smtp_sink import SmtpSink, smtp_sink

pytestmark = pytest.mark.anyio

SECRET = "outbox-test-secret-" + "z" * 32
START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as server:
        yield server


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        await upgrade(database)
        yield database


async def queue_one(db: Database) -> str:
    org = Organization(new_id(), "Acme", START)
    await SqlAccountRepository(db).add_organization(org)
    async with db.transaction() as tx:
        enqueue(tx, org_id=org.id, recipient="ada@example.com", subject="Hello", body="Body\n", now=START)
    return org.id


def outbox(db: Database, host: str, port: int, clock: Clock) -> MailOutbox:
    settings = Settings(secret_key=SECRET, smtp_host=host, smtp_port=port, smtp_timeout_seconds=5)
    return MailOutbox(db, SmtpMailer(settings), max_attempts=3, retry_seconds=30, clock=clock)


async def test_a_message_is_sent_once(db: Database, sink: SmtpSink) -> None:
    org = await queue_one(db)
    box = outbox(db, sink.host, sink.port, Clock())
    assert await box.drain_once() == 1
    assert await box.drain_once() == 0  # nothing twice
    [mail] = await sink.wait_for(1)
    body = mail.get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert (mail["To"], mail["Subject"], body) == ("ada@example.com", "Hello", "Body\n")
    [row] = await box.list(org)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("sent", 1, "", START)


async def test_a_refusing_server_is_retried_with_backoff_then_failed(db: Database, sink: SmtpSink) -> None:
    org = await queue_one(db)
    clock = Clock()
    box = outbox(db, sink.host, sink.port, clock)
    sink.refuse = True
    assert await box.drain_once() == 0
    [row] = await box.list(org)
    assert (row.status, row.attempts) == ("queued", 1) and "554" in row.last_error
    assert row.next_attempt_at == START + timedelta(seconds=30)
    assert await box.drain_once() == 0 and (await box.list(org))[0].attempts == 1  # not due yet

    clock.now = START + timedelta(seconds=30)
    await box.drain_once()
    [row] = await box.list(org)
    assert row.attempts == 2 and row.next_attempt_at == clock.now + timedelta(seconds=60)

    # the server comes back: the next attempt delivers, with the same Message-ID as before
    sink.refuse = False
    clock.now += timedelta(seconds=60)
    assert await box.drain_once() == 1
    [mail] = await sink.wait_for(1)
    assert mail["Message-ID"] == f"<{row.id}@duet>"
    assert (await box.list(org, status="sent"))[0].attempts == 3


async def test_an_unreachable_server_fails_after_the_last_attempt(db: Database) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens on it once closed
    org = await queue_one(db)
    clock = Clock()
    box = outbox(db, "127.0.0.1", port, clock)
    for _ in range(3):
        await box.drain_once()
        clock.now += timedelta(hours=2)
    [row] = await box.list(org)
    assert (row.status, row.attempts) == ("failed", 3) and row.last_error
    assert await box.list(org, status="queued") == []


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n, 30).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(40, 30) == timedelta(hours=1)
