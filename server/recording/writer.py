"""Group commit: one writer per node turns every pending event, of every room, into one transaction.

Callers that need durability either await ``append`` (it returns the event id once committed) or
``submit`` the event with a callback the writer calls, in its own task, once the transaction
committed or failed. ``append_nowait`` queues events whose loss on a crash is acceptable (cursor
positions). A batch is whatever queued while the previous commit ran, and commits are at least
``commit_interval`` apart (live edits reach the other clients before they are committed, so this
only delays acknowledgements, and saves a transaction per keystroke under load).

Batches commit in the order events were queued, so an event that builds on an earlier one of
the same session is never stored without it: when a batch fails, every event of its sessions
still queued fails with it, before anything else runs.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from server.errors import Unavailable
from server.recording.events import NewEvent
from server.recording.log import RecordingLog

logger = logging.getLogger(__name__)

MAX_BATCH = 2000

#: Called once an event is committed (``None``) or could not be (the error).
Done = Callable[[BaseException | None], None]


@dataclass(slots=True)
class _Pending:
    event: NewEvent
    done: anyio.Event | None = None
    callback: Done | None = None
    event_id: int = 0
    error: BaseException | None = field(default=None)

    def settle(self) -> None:
        if self.done is not None:
            self.done.set()
        if self.callback is not None:
            try:
                self.callback(self.error)
            except Exception:  # a caller's bug must not stop the writer for everyone else
                logger.exception("event callback failed", extra={"session_id": self.event.session_id})


class EventWriter:
    def __init__(
        self,
        log: RecordingLog,
        *,
        commit_interval: float = 0.0,
        max_pending: int = 20_000,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """``commit_interval``: at least this long (seconds) from one commit's start to the
        next; a batch is then whatever queued meanwhile (fewer, larger transactions)."""
        self._log = log
        self._max_pending = max_pending
        self._max_batch = max_batch
        self._interval = commit_interval
        self._pending: list[_Pending] = []
        self._wakeup = anyio.Event()
        self._closed = False
        self.batches = 0
        self.written = 0
        self._queued = 0
        self._handled = 0
        self._committed = anyio.Event()  # set (then replaced) after every batch
        self._loop_running = False

    async def append(self, event: NewEvent) -> int:
        """Queue ``event`` and wait until it is committed; returns its id."""
        item = self._queue(_Pending(event, done=anyio.Event()))
        assert item.done is not None
        await item.done.wait()
        if item.error is not None:
            raise Unavailable("the event log could not be written") from item.error
        return item.event_id

    def submit(self, event: NewEvent, done: Done) -> None:
        """Queue ``event`` for durable storage without waiting; ``done`` is called with None once it
        is committed, or with the error if it could not be stored."""
        self._queue(_Pending(event, callback=done))

    def append_nowait(self, event: NewEvent) -> None:
        """Queue ``event`` without waiting (dropped, with a warning, if the writer is saturated
        or already stopped: its loss is acceptable by definition)."""
        if len(self._pending) >= self._max_pending or self._closed:
            logger.warning(
                "event writer %s; dropping a %s event",
                "stopped" if self._closed else "saturated",
                event.kind,
                extra={"session_id": event.session_id},
            )
            return
        self._queue(_Pending(event))

    def _queue(self, item: _Pending) -> _Pending:
        if self._closed:
            raise Unavailable("the event writer is closed")
        item.event = item.event.stamped()
        self._pending.append(item)
        self._queued += 1
        self._wakeup.set()
        return item

    @property
    def alive(self) -> bool:
        """Taking and committing events (what /healthz reports)."""
        return self._loop_running and not self._closed

    async def _run(self) -> None:
        self._loop_running = True
        try:
            await self._commit_forever()
        finally:
            self._loop_running = False

    async def _commit_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup = anyio.Event()
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                started = anyio.current_time()
                await self._commit(batch)
                if self._interval and not self._closed:
                    await anyio.sleep(max(0.0, self._interval - (anyio.current_time() - started)))
            if self._closed:
                return

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            ids = await self._log.append([item.event for item in batch])
        except Exception as exc:  # reported to every waiter; the writer itself keeps going
            logger.exception("event batch of %d failed to commit", len(batch))
            batch += self._take_pending_of({item.event.session_id for item in batch})
            for item in batch:
                item.error = exc
        else:
            for item, event_id in zip(batch, ids, strict=True):
                item.event_id = event_id
            self.batches += 1
            self.written += len(batch)
        self._handled += len(batch)
        for item in batch:
            item.settle()
        self._committed.set()
        self._committed = anyio.Event()

    def _take_pending_of(self, sessions: set[str]) -> list[_Pending]:
        """Events of ``sessions`` still queued behind a failed batch: they may build on what
        failed, so they fail too (the callers reset those rooms from the database)."""
        taken = [item for item in self._pending if item.event.session_id in sessions]
        if taken:
            self._pending = [item for item in self._pending if item.event.session_id not in sessions]
        return taken

    async def flush(self) -> None:
        """Wait until every event queued so far has been handled (committed or failed)."""
        target = self._queued
        while self._handled < target:
            await self._committed.wait()

    def next_batch(self) -> anyio.Event:
        """Set once the next batch has been handled. Take it before looking at the log, wait on
        it after: a batch handled in between is not missed."""
        return self._committed

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
