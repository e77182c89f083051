"""Seek points, built incrementally from the log: one every ``every_updates`` document updates or
``every_ms`` of session time, so the state at any moment is one point plus a short tail.

Building extends from the last stored point: its state, then the updates after it, in id order.
Each point also keeps its files as text and the text edits of the updates since the previous
point (server/playback/text_index.py), so a state needs no decoding.
A point only covers events older than ``margin_ms`` (ids are allocated before commit, so a
younger event with a smaller id could still be in flight on another node; the rooms' snapshots
follow the same rule, docs/sync.md); the rest is the tail every query replays. Two nodes may
build at once: points are stored only if new, and any point is right by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio
from pycrdt import Doc

from server.playback.document import apply
from server.playback.store import PlaybackStore
from server.playback.text_index import EditRecorder, UpdateEdits, encode_edits, encode_text, text_of
from server.recording.events import Event, EventKind, now_ms
from server.recording.playback import SeekPoint

EVERY_UPDATES = 500
EVERY_MS = 30_000
MARGIN_MS = 60_000
PAGE = 5_000
SAVE_BATCH = 20
#: A session is extended at most this often (seconds) by the queries; an ended one, once done.
MIN_INTERVAL = 5.0
REMEMBERED = 4096


class SeekIndex:
    def __init__(
        self,
        store: PlaybackStore,
        *,
        every_updates: int = EVERY_UPDATES,
        every_ms: int = EVERY_MS,
        margin_ms: int = MARGIN_MS,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self._store = store
        self._every_updates = every_updates
        self._every_ms = every_ms
        self._margin_ms = margin_ms
        self._clock = clock
        self._locks: dict[str, anyio.Lock] = {}
        self._extended: dict[str, float] = {}  # session -> monotonic time of the last extension
        self._complete: set[str] = set()  # ended sessions whose every update is covered

    async def ensure(self, session_id: str, *, ended_ms: int | None) -> None:
        """Extend the session's points unless that was done moments ago (or is complete)."""
        if session_id in self._complete:
            return
        last = self._extended.get(session_id)
        if last is not None and time.monotonic() - last < MIN_INTERVAL:
            return
        await self.extend(session_id, ended_ms=ended_ms)

    async def extend(self, session_id: str, *, ended_ms: int | None) -> int:
        """Store the points due since the last one; returns how many. ``ended_ms``: when the
        session ended, if it did (once that is past the margin, a last point covers the end)."""
        lock = self._locks.setdefault(session_id, anyio.Lock())
        try:
            async with lock:
                return await self._extend(session_id, ended_ms)
        finally:
            self._extended[session_id] = time.monotonic()
            if len(self._extended) > REMEMBERED:
                self._extended.clear()
            if not lock.locked() and lock.statistics().tasks_waiting == 0:
                self._locks.pop(session_id, None)

    async def _extend(self, session_id: str, ended_ms: int | None) -> int:
        horizon = self._clock() - self._margin_ms
        last = await self._store.last_point(session_id)
        # the CPU work in a worker thread, page by page: pycrdt's calls are short, so the event
        # loop gets its turns between them (a two-hour session is seconds of work)
        builder = await anyio.to_thread.run_sync(
            _Builder, session_id, last, self._every_updates, self._every_ms
        )
        after = last.upto_id if last is not None else 0
        saved = 0
        reached_horizon = False
        while not reached_horizon:
            page = await self._store.window(
                session_id, kinds=[EventKind.DOC_UPDATE], after_id=after, limit=PAGE
            )
            reached_horizon = await anyio.to_thread.run_sync(builder.feed, page, horizon)
            if len(builder.points) >= SAVE_BATCH:
                saved += await self._save(builder)
            if len(page) < PAGE:
                break
            after = page[-1].id
        complete = ended_ms is not None and ended_ms < horizon and not reached_horizon
        if complete:
            await anyio.to_thread.run_sync(builder.close)
        saved += await self._save(builder)
        if complete:
            self._complete.add(session_id)
            if len(self._complete) > REMEMBERED:
                self._complete.clear()
        return saved

    async def _save(self, builder: _Builder) -> int:
        points, builder.points = builder.points, []
        if points:
            await self._store.save_points(points)
        return len(points)


class _Builder:
    """The document from the last point on, the updates applied one at a time in id order, the
    points made as they fall due (``points``, taken by the caller)."""

    def __init__(self, session_id: str, last: SeekPoint | None, every_updates: int, every_ms: int) -> None:
        self._session_id = session_id
        self._every_updates = every_updates
        self._every_ms = every_ms
        self._doc: Doc[Any] = Doc()
        if last is not None:
            self._doc.apply_update(last.state)
        self._recorder = EditRecorder(self._doc)
        self._segment: list[UpdateEdits] = []
        self._since_ts: int | None = last.ts_ms if last is not None else None
        self._max_ts = last.ts_ms if last is not None else 0
        self._upto = last.upto_id if last is not None else 0
        self._count = 0
        self.points: list[SeekPoint] = []

    def feed(self, page: Sequence[Event], horizon: int) -> bool:
        """Apply ``page`` up to the first event at or past ``horizon``; True if it reached one."""
        for event in page:
            if event.ts_ms >= horizon:
                return True
            if self._count and self._since_ts is not None and event.ts_ms - self._since_ts >= self._every_ms:
                self._point()
            # each in its own transaction: the recorder sees each one's edits
            apply(self._doc, event.data, session_id=self._session_id, event_id=event.id)
            self._segment.append(UpdateEdits(event.id, self._recorder.take()))
            self._upto, self._count = event.id, self._count + 1
            self._max_ts = max(self._max_ts, event.ts_ms)
            if self._since_ts is None:
                self._since_ts = event.ts_ms
            if self._count >= self._every_updates:
                self._point()
        return False

    def close(self) -> None:
        """The session is over: a last point covers its end."""
        if self._count:
            self._point()

    def _point(self) -> None:
        text, edits = encode_text(text_of(self._doc)), encode_edits(self._segment)
        self.points.append(
            SeekPoint(self._session_id, self._upto, self._max_ts, self._doc.get_update(), text, edits)
        )
        self._count, self._segment = 0, []
        self._since_ts = self._max_ts
