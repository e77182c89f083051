"""The rooms a node has loaded: load on first client, unload after a grace period, compact.

Loading a room = the latest snapshot + every ``doc.update`` event after it (a brand-new session
gets its seed stored as its first event). Snapshots are computed from the database alone, never
from memory, so a snapshot can only claim events that are committed: it covers events older than
``snapshot_margin_seconds`` (ids are allocated before commit, so a younger event with a smaller id
could still be in flight on another node); younger ones are replayed again, which is harmless
because Yjs updates are idempotent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from pycrdt import Doc, Map

from server.channels.fanout import Fanout, FanoutKind, FanoutMessage, LocalFanout
from server.recording.events import Event, EventKind, NewEvent, Snapshot, now_ms
from server.recording.log import RecordingLog
from server.recording.writer import EventWriter
from server.sync import protocol
from server.sync.protocol import ProtocolError
from server.sync.room import Room
from server.sync.seed import FILES, META, seed_update

logger = logging.getLogger(__name__)

PAGE = 5_000
JANITOR_SECONDS = 2.0
CATCH_UP_SECONDS = 30.0


class RoomRegistry:
    def __init__(
        self,
        log: RecordingLog,
        writer: EventWriter,
        fanout: Fanout,
        *,
        grace_seconds: float,
        snapshot_every: int,
        snapshot_margin_seconds: float = 60.0,
    ) -> None:
        self._log = log
        self._writer = writer
        self._fanout = fanout
        self._grace = grace_seconds
        self._snapshot_every = snapshot_every
        self._snapshot_margin_ms = int(snapshot_margin_seconds * 1000)
        self._rooms: dict[str, Room] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._distributed = not isinstance(fanout, LocalFanout)
        self._compact_queue: set[str] = set()
        self._dropped: set[str] = set()
        self._compact_ready = anyio.Event()
        self.loads = 0
        self.unloads = 0
        self.unloaded = anyio.Event()  # set (then replaced) each time a room unloads
        self.alive = False  # its maintenance loops run (what /healthz reports)

    def get(self, session_id: str) -> Room | None:
        return self._rooms.get(session_id)

    def __len__(self) -> int:
        return len(self._rooms)

    def _lock(self, session_id: str) -> anyio.Lock:
        return self._locks.setdefault(session_id, anyio.Lock())

    async def acquire(self, session_id: str, language: str) -> Room:
        """The loaded room of a session, loading it if needed. The caller adds its connection
        right away (no await in between), so the janitor cannot unload it under its feet."""
        room = self._rooms.get(session_id)
        if room is not None:
            return room
        async with self._lock(session_id):
            room = self._rooms.get(session_id)
            if room is None:
                room = await self._load(session_id, language)
                self._rooms[session_id] = room
                self.loads += 1
        return room

    def drop(self, room: Room) -> None:
        """Forget a room whose memory can no longer be trusted; the next client reloads it
        (the janitor ends its fan-out subscription unless it has been loaded again by then)."""
        room.discarded = True
        if self._rooms.get(room.session_id) is room:
            del self._rooms[room.session_id]
            self._dropped.add(room.session_id)

    async def files(self, session_id: str) -> tuple[dict[str, str], dict[str, str]]:
        """The session's files and ``meta`` as the server holds them now (what a run executes):
        from the live room when loaded, else from the database."""
        room = self._rooms.get(session_id)
        doc = room.doc if room is not None else (await self._materialize(session_id))[0]
        files = doc.get(FILES, type=Map)
        meta = doc.get(META, type=Map)
        return {path: str(text) for path, text in files.items()}, {k: str(v) for k, v in meta.items()}

    # ---- loading -------------------------------------------------------------------------------

    async def _replay(self, doc: Doc[Any], session_id: str, after_id: int) -> list[Event]:
        events: list[Event] = []
        while True:
            page = await self._log.read(
                session_id, after_id=after_id, kinds=[EventKind.DOC_UPDATE], limit=PAGE
            )
            for event in page:
                try:
                    doc.apply_update(event.data)
                except Exception:  # a stored update that no longer applies: skip it, keep the rest
                    logger.exception(
                        "stored update %s does not apply", event.id, extra={"session_id": session_id}
                    )
            events += page
            if len(page) < PAGE:
                return events
            after_id = page[-1].id

    async def _materialize(self, session_id: str) -> tuple[Doc[Any], Snapshot | None, list[Event]]:
        doc: Doc[Any] = Doc()
        snapshot = await self._log.latest_snapshot(session_id)
        if snapshot is not None:
            doc.apply_update(snapshot.state)
        events = await self._replay(doc, session_id, snapshot.upto_id if snapshot else 0)
        return doc, snapshot, events

    async def _load(self, session_id: str, language: str) -> Room:
        start = await self._fanout.position(session_id)  # before reading the database
        doc, snapshot, events = await self._materialize(session_id)
        if snapshot is None and not events:
            seed = seed_update(language)
            event_id = await self._writer.append(NewEvent(session_id, EventKind.DOC_UPDATE, seed))
            doc.apply_update(seed)
            events_seen, size = event_id, len(seed)
        else:
            events_seen = events[-1].id if events else (snapshot.upto_id if snapshot else 0)
            size = (len(snapshot.state) if snapshot else 0) + sum(len(event.data) for event in events)
        room = Room(session_id, doc, size=size)
        room.db_cursor = events_seen
        room.updates_since_snapshot = len(events)
        await self._fanout.subscribe(session_id, start, self._on_remote)
        if self._distributed:
            self._fanout.publish(FanoutMessage(session_id, FanoutKind.QUERY))
        logger.info("room loaded (%d events replayed)", len(events), extra={"session_id": session_id})
        return room

    # ---- other nodes ---------------------------------------------------------------------------

    def _on_remote(self, message: FanoutMessage) -> None:
        room = self._rooms.get(message.session_id)
        if room is None:
            return
        try:
            if message.kind is FanoutKind.UPDATE:
                room.apply(message.data)
                room.broadcast(protocol.sync_update(message.data))
                self.note_update(room)
            elif message.kind is FanoutKind.AWARENESS:
                accepted = room.accept_awareness(protocol.parse_awareness(message.data), None)
                if accepted:
                    room.broadcast_awareness(protocol.awareness_frame(protocol.encode_awareness(accepted)))
            elif message.kind is FanoutKind.QUERY:
                local = room.local_awareness()
                if local:
                    self._fanout.publish(
                        FanoutMessage(room.session_id, FanoutKind.AWARENESS, protocol.encode_awareness(local))
                    )
            elif message.kind is FanoutKind.ENDED:
                room.end()
        except ProtocolError:
            logger.exception(
                "bad %s message from another node", message.kind, extra={"session_id": room.session_id}
            )

    # ---- maintenance ---------------------------------------------------------------------------

    def note_update(self, room: Room) -> None:
        room.updates_since_snapshot += 1
        if room.updates_since_snapshot >= self._snapshot_every:
            room.updates_since_snapshot = 0
            self._compact_queue.add(room.session_id)
            self._compact_ready.set()

    async def compact(self, session_id: str) -> Snapshot | None:
        """Fold committed events into a new snapshot (from the database only)."""
        doc, snapshot, events = await self._materialize(session_id)
        cutoff = now_ms() - self._snapshot_margin_ms
        covered = [e.id for e in events if e.ts_ms < cutoff]
        if not covered:
            return None
        new = Snapshot(session_id, max(covered), doc.get_update())
        await self._log.save_snapshot(new)
        return new

    async def _unsubscribe_dropped(self) -> None:
        dropped, self._dropped = self._dropped, set()
        for session_id in dropped:
            if session_id not in self._rooms:
                await self._fanout.unsubscribe(session_id)

    async def _unload_idle(self) -> None:
        now = time.monotonic()
        for session_id, room in list(self._rooms.items()):
            room.expire_remote_awareness()
            if room.idle_since is None or now - room.idle_since < self._grace:
                continue
            async with self._lock(session_id):
                if self._rooms.get(session_id) is not room or room.connections:
                    continue
                del self._rooms[session_id]
            await self._fanout.unsubscribe(session_id)
            self.unloads += 1
            if room.updates_since_snapshot:
                await self.compact(session_id)
            self._locks.pop(session_id, None)
            logger.info("room unloaded", extra={"session_id": session_id})
            self.unloaded.set()
            self.unloaded = anyio.Event()

    async def _catch_up(self) -> None:
        """With several nodes: pull committed updates a lost fan-out message may have skipped."""
        for room in list(self._rooms.values()):
            events = await self._log.read(
                room.session_id, after_id=room.db_cursor, kinds=[EventKind.DOC_UPDATE]
            )
            if not events:
                continue
            before = room.doc.get_state()
            for event in events:
                try:
                    room.apply(event.data)
                except ProtocolError:
                    logger.exception("stored update %s does not apply", event.id)
            room.db_cursor = events[-1].id
            if room.doc.get_state() != before:
                room.broadcast(protocol.sync_update(room.doc.get_update(before)))

    async def _janitor(self) -> None:
        """Unload idle rooms, catch up with other nodes. A failure (the database away for a
        moment) is logged and tried again on the next round: it must never stop the registry,
        which would take every room of the node with it."""
        last_catch_up = time.monotonic()
        while True:
            await anyio.sleep(JANITOR_SECONDS)
            try:
                await self._unsubscribe_dropped()
                await self._unload_idle()
                if self._distributed and time.monotonic() - last_catch_up >= CATCH_UP_SECONDS:
                    last_catch_up = time.monotonic()
                    await self._catch_up()
            except Exception:
                logger.exception("room maintenance failed; trying again in %s s", JANITOR_SECONDS)

    async def _compactor(self) -> None:
        while True:
            await self._compact_ready.wait()
            self._compact_ready = anyio.Event()
            while self._compact_queue:
                session_id = self._compact_queue.pop()
                try:
                    await self.compact(session_id)
                except Exception:  # the next update past the threshold asks again
                    logger.exception("compacting the room failed", extra={"session_id": session_id})

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RoomRegistry]:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._janitor)
            tg.start_soon(self._compactor)
            self.alive = True
            try:
                yield self
            finally:
                self.alive = False
                tg.cancel_scope.cancel()
        for session_id, room in list(self._rooms.items()):
            if room.updates_since_snapshot:
                with anyio.CancelScope(shield=True), anyio.move_on_after(10):
                    await self.compact(session_id)
        self._rooms.clear()
