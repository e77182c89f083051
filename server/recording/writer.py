"""Group commit: one writer per node turns every pending event, of every room, into one transaction.

Callers that need durability await ``append``: it returns once the event's transaction committed
(with the event id). ``append_nowait`` queues events whose loss on a crash is acceptable (cursor
positions). There is no fixed delay: a batch is whatever queued while the previous commit ran.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from server.errors import Unavailable
from server.recording.events import NewEvent
from server.recording.log import RecordingLog

logger = logging.getLogger(__name__)

MAX_BATCH = 2000


@dataclass(slots=True)
class _Pending:
    event: NewEvent
    done: anyio.Event | None = None
    event_id: int = 0
    error: BaseException | None = field(default=None)


class EventWriter:
    def __init__(self, log: RecordingLog, *, max_pending: int = 20_000) -> None:
        self._log = log
        self._max_pending = max_pending
        self._pending: list[_Pending] = []
        self._wakeup = anyio.Event()
        self._closed = False
        self.batches = 0
        self.written = 0
        self._queued = 0
        self._handled = 0
        self._committed = anyio.Event()  # set (then replaced) after every batch

    async def append(self, event: NewEvent) -> int:
        """Queue ``event`` and wait until it is committed; returns its id."""
        item = self._queue(event, durable=True)
        assert item.done is not None
        await item.done.wait()
        if item.error is not None:
            raise Unavailable("the event log could not be written") from item.error
        return item.event_id

    def append_nowait(self, event: NewEvent) -> None:
        """Queue ``event`` without waiting (dropped, with a warning, if the writer is saturated)."""
        if len(self._pending) >= self._max_pending:
            logger.warning(
                "event writer saturated; dropping a %s event",
                event.kind,
                extra={"session_id": event.session_id},
            )
            return
        self._queue(event, durable=False)

    def _queue(self, event: NewEvent, *, durable: bool) -> _Pending:
        if self._closed:
            raise Unavailable("the event writer is closed")
        item = _Pending(event.stamped(), anyio.Event() if durable else None)
        self._pending.append(item)
        self._queued += 1
        self._wakeup.set()
        return item

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup = anyio.Event()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._commit(batch)
            if self._closed:
                return

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            ids = await self._log.append([item.event for item in batch])
        except Exception as exc:  # reported to every waiter; the writer itself keeps going
            logger.exception("event batch of %d failed to commit", len(batch))
            for item in batch:
                item.error = exc
        else:
            for item, event_id in zip(batch, ids, strict=True):
                item.event_id = event_id
            self.batches += 1
            self.written += len(batch)
        self._handled += len(batch)
        for item in batch:
            if item.done is not None:
                item.done.set()
        self._committed.set()
        self._committed = anyio.Event()

    async def flush(self) -> None:
        """Wait until every event queued so far has been handled (committed or failed)."""
        target = self._queued
        while self._handled < target:
            await self._committed.wait()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[EventWriter]:
        """Run the writer; on exit, everything queued is committed before it stops."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._run)
            try:
                yield self
            finally:
                self._closed = True
                self._wakeup.set()
