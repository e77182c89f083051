"""The durable mail outbox: a message is a row written in the same transaction as what causes
it (an invitation), then sent by a worker with exponential backoff. Its status is visible:
``queued`` (waiting, or retrying: ``last_error`` says why), ``sent``, ``failed`` (gave up)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.hiring.smtp_mailer import Mailer
from server.store.attempt_tables import MailRow
from server.store.database import Database
from server.tokens import new_id

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
MAX_ERROR_CHARS = 1000
#: Messages one pass of the worker sends at most.
BATCH = 50


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Mail:
    id: str
    org_id: str
    invitation_id: str | None
    recipient: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None


def mail_of(row: MailRow) -> Mail:
    return Mail(
        id=row.id,
        org_id=row.org_id,
        invitation_id=row.invitation_id,
        recipient=row.recipient,
        subject=row.subject,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


def backoff(attempts: int, first: float) -> timedelta:
    """The wait after the ``attempts``-th failure: first, 2×first, 4×first ... at most an hour."""
    return min(timedelta(seconds=first * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def enqueue(
    tx: AsyncSession,
    *,
    org_id: str,
    recipient: str,
    subject: str,
    body: str,
    now: datetime,
    invitation_id: str | None = None,
) -> str:
    """Add a message to the outbox inside the caller's transaction; returns its id."""
    mail_id = new_id()
    tx.add(
        MailRow(
            id=mail_id,
            org_id=org_id,
            invitation_id=invitation_id,
            recipient=recipient,
            subject=subject[:200],
            body=body,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            last_error="",
            created_at=now,
            sent_at=None,
        )
    )
    return mail_id


class MailOutbox:
    """Drains due messages through a ``Mailer``; ``running()`` does it in the background."""

    def __init__(
        self,
        db: Database,
        mailer: Mailer | None,
        *,
        max_attempts: int,
        retry_seconds: float,
        poll_seconds: float = 1.0,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._db = db
        self._mailer = mailer
        self._max_attempts = max_attempts
        self._retry = retry_seconds
        self._poll = poll_seconds
        self._clock = clock
        self._wake = anyio.Event()

    def poke(self) -> None:
        """Something was queued: drain now rather than at the next poll."""
        self._wake.set()

    async def list(self, org_id: str, *, status: str | None = None, limit: int = 100) -> list[Mail]:
        query = select(MailRow).where(MailRow.org_id == org_id)
        if status is not None:
            query = query.where(MailRow.status == status)
        async with self._db.session() as s:
            rows = (await s.execute(query.order_by(MailRow.created_at.desc()).limit(limit))).scalars()
            return [mail_of(row) for row in rows]

    async def drain_once(self) -> int:
        """Try every due message once; returns how many were sent."""
        if self._mailer is None:
            return 0
        now = self._clock()
        async with self._db.session() as s:
            due = list(
                (
                    await s.execute(
                        select(MailRow.id)
                        .where(MailRow.status == "queued", MailRow.next_attempt_at <= now)
                        .order_by(MailRow.next_attempt_at)
                        .limit(BATCH)
                    )
                ).scalars()
            )
        sent = 0
        for mail_id in due:
            sent += await self._send_one(mail_id)
        return sent

    async def _send_one(self, mail_id: str) -> int:
        assert self._mailer is not None
        async with self._db.transaction() as tx:
            # claim it: on PostgreSQL two workers never send the same row at once
            row = (
                await tx.execute(
                    select(MailRow)
                    .where(MailRow.id == mail_id, MailRow.status == "queued")
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if row is None:
                return 0
            try:
                await self._mailer.send(
                    recipient=row.recipient, subject=row.subject, body=row.body, message_id=row.id
                )
            except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
                if row.attempts >= self._max_attempts:
                    row.status = "failed"
                else:
                    row.next_attempt_at = self._clock() + backoff(row.attempts, self._retry)
                log.warning(
                    "mail %s to the outbox's recipient failed (attempt %s): %s", row.id, row.attempts, exc
                )
                return 0
            row.attempts += 1
            row.status, row.sent_at, row.last_error = "sent", self._clock(), ""
            return 1

    @asynccontextmanager
    async def running(self) -> AsyncIterator[MailOutbox]:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._loop)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()

    async def _loop(self) -> None:
        while True:
            try:
                await self.drain_once()
            except Exception:
                log.exception("the mail outbox could not be drained; trying again")
            with anyio.move_on_after(self._poll):
                await self._wake.wait()
            self._wake = anyio.Event()
