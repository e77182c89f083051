"""SyncService: serves one websocket of one participant in its session's room.

Per message (its size already capped by the socket): rate checks, strict decoding, role checks, then
- step 1: answered with step 2 from the room's document;
- step 2 / update (writers only): applied (which validates it) and sent at once to the room's
  other clients; queued for the event log, and once committed echoed to its sender (the
  acknowledgement) and handed to the other nodes. Batches commit in order, so whatever builds on
  an update is never stored without it;
- awareness: identities stamped by the server, broadcast, cursor changes recorded (throttled).
A bad frame closes that connection only, with a close code and a reason; the room carries on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from functools import partial

import anyio

from server.channels.fanout import Fanout, FanoutKind, FanoutMessage
from server.channels.limits import FrameBudget, TokenBucket
from server.channels.outbox import CloseRequest
from server.channels.transport import FrameTransport
from server.errors import Unavailable
from server.recording.budget import RecordingBudget
from server.recording.events import EventKind, NewEvent
from server.recording.writer import EventWriter
from server.settings import Settings
from server.sync import protocol
from server.sync.connection import ClientInfo, Connection
from server.sync.file_changes import FileChange
from server.sync.protocol import AwarenessEntry, AwarenessMessage, ProtocolError, QueryAwareness, SyncType
from server.sync.room import Room
from server.sync.rooms import RoomRegistry

logger = logging.getLogger(__name__)

AWARENESS_RECORD_SECONDS = 0.25
#: The two kinds of full-state answer (``Outbox.send_full_state``): at most one of each waits.
DOCUMENT_STATE = "document"
AWARENESS_STATES = "awareness"
#: A Yjs v1 update with no structs and an empty delete set.
EMPTY_UPDATE = b"\x00\x00"


class SyncService:
    def __init__(
        self,
        settings: Settings,
        rooms: RoomRegistry,
        writer: EventWriter,
        fanout: Fanout,
        budget: RecordingBudget,
    ) -> None:
        self._settings = settings
        self.rooms = rooms
        self._writer = writer
        self._fanout = fanout
        self.budget = budget

    async def serve(self, transport: FrameTransport, info: ClientInfo) -> None:
        try:
            room = await self.rooms.acquire(info.session_id, info.language)
        except Unavailable as exc:  # the database does not answer: the client retries
            await transport.close(exc.close_code, exc.message)
            return
        conn = Connection(transport, info, max_queue_bytes=self._settings.sync_send_queue_bytes)
        room.add(conn)
        conn.send(protocol.sync_step1(room.doc.get_state()))
        conn.send_full_state(AWARENESS_STATES, room.awareness_frame)
        self.record_presence(
            info,
            EventKind.JOIN,
            _json(participant_id=info.participant_id, name=info.display_name, role=info.role.value),
        )
        recorder = _AwarenessRecorder(self, info)
        close: CloseRequest | None = None
        try:
            transport.listen(self._receiver(room, conn, recorder))
            await conn.run(self._settings.sync_keepalive_seconds, protocol.KEEPALIVE)
        except CloseRequest as request:
            close = request
        finally:
            gone = room.remove(conn)
            if gone:
                self._broadcast_awareness(room, gone)
            recorder.flush()
            self.record_presence(info, EventKind.LEAVE, _json(participant_id=info.participant_id))
        if close is not None:
            logger.info(
                "closing connection: %s %s", close.code, close.reason, extra={"session_id": info.session_id}
            )
        with anyio.move_on_after(2, shield=True):
            await transport.close(close.code if close else 1000, close.reason if close else "")

    def session_ended(self, session_id: str) -> None:
        """The session ended: every connection, on every node, becomes read-only."""
        room = self.rooms.get(session_id)
        if room is not None:
            room.end()
        self._fanout.publish(FanoutMessage(session_id, FanoutKind.ENDED))
        self._writer.append_nowait(NewEvent(session_id, EventKind.SESSION_ENDED, b"{}"))

    # ---- receiving -----------------------------------------------------------------------------

    def _receiver(
        self, room: Room, conn: Connection, recorder: _AwarenessRecorder
    ) -> Callable[[bytes], None]:
        """Handles each frame as it arrives, synchronously (nothing here waits): limits first,
        then the message. A bad frame closes this connection with a code and a reason."""
        settings = self._settings
        budget = FrameBudget(
            settings.sync_messages_per_second,
            settings.sync_message_burst,
            settings.sync_bytes_per_second,
            settings.sync_byte_burst,
        )
        full_states = TokenBucket(settings.sync_full_state_per_minute / 60, settings.sync_full_state_burst)

        def on_frame(frame: bytes) -> None:
            if conn.close_request is not None:
                return
            if not budget.take(len(frame)):  # (its size was capped as it arrived: 1009)
                conn.request_close(4429, "too many messages: slow down")
            elif frame[0] == protocol.MessageType.AWARENESS and frame in conn.sent_awareness:
                return  # the client sending back states it got from us: nothing new
            else:
                try:
                    self._handle(room, conn, frame, recorder, full_states)
                except ProtocolError as exc:
                    conn.request_close(4400, str(exc))
                except CloseRequest as exc:
                    conn.request_close(exc.code, exc.reason)

        return on_frame

    def _handle(
        self,
        room: Room,
        conn: Connection,
        frame: bytes,
        recorder: _AwarenessRecorder,
        full_states: TokenBucket,
    ) -> None:
        message = protocol.parse_frame(frame)
        if isinstance(message, AwarenessMessage):
            entries = protocol.parse_awareness(message.payload)
            self._check_awareness(conn, entries)
            accepted = room.accept_awareness(entries, conn)
            if accepted:
                self._broadcast_awareness(room, accepted, skip=conn)
                recorder.offer(accepted)
        elif isinstance(message, QueryAwareness):
            _spend(full_states)
            conn.send_full_state(AWARENESS_STATES, room.awareness_frame)
        elif message.kind is SyncType.STEP1:
            _spend(full_states)
            conn.send_full_state(DOCUMENT_STATE, lambda: protocol.sync_step2(room.diff(message.payload)))
        elif conn.writable:  # step 2 or update; writes from read-only clients are dropped
            self._accept_update(room, conn, message.payload)

    def _check_awareness(self, conn: Connection, entries: list[AwarenessEntry]) -> None:
        """One connection publishes a few cursors of bounded size: every joiner gets them all."""
        limit = self._settings.sync_max_awareness_state_bytes
        if any(len(entry.state) > limit for entry in entries):
            raise CloseRequest(4413, f"an awareness state is larger than {limit} bytes")
        new = {entry.client_id for entry in entries if not entry.removed} - conn.awareness_ids
        if len(conn.awareness_ids) + len(new) > self._settings.sync_max_awareness_ids:
            raise CloseRequest(4429, "too many awareness client ids on one connection")

    def _accept_update(self, room: Room, conn: Connection, update: bytes) -> None:
        if update == EMPTY_UPDATE:  # a client's step 2 with nothing new: the usual handshake
            return
        if room.discarded:
            raise CloseRequest(4503, "the session's storage is unavailable")
        limit = self._settings.sync_max_document_bytes
        if room.size + len(update) > limit:
            raise CloseRequest(4413, f"the document would grow past {limit} bytes")
        file_changes = room.apply(update)
        frame = protocol.sync_update(update)
        room.broadcast(frame, skip=conn)  # the room's other clients see it at once...
        try:
            self._writer.submit(
                NewEvent(room.session_id, EventKind.DOC_UPDATE, update, author=conn.info.participant_id),
                partial(self._committed, room, conn, update, frame),
            )
        except Unavailable:  # the node is shutting down: the client reconnects elsewhere
            self._reset(room)
            raise CloseRequest(4503, "the server is shutting down") from None
        for change in file_changes:  # queued behind the update they come from
            self._record_file_change(conn.info, change)

    def _record_file_change(self, info: ClientInfo, change: FileChange) -> None:
        """A file created, deleted, renamed or given another language: a fact on the timeline,
        within the session's recording allowance (the update itself is recorded regardless)."""
        data = change.encoded()
        if self.budget.try_take(info.session_id, len(data)):
            self._writer.append_nowait(
                NewEvent(info.session_id, change.kind, data, author=info.participant_id)
            )

    def _committed(
        self, room: Room, conn: Connection, update: bytes, frame: bytes, error: BaseException | None
    ) -> None:
        """...its author and the other nodes once it is durable: the echo is the acknowledgement."""
        if error is not None:
            self._reset(room)
            return
        conn.send(frame)
        self._fanout.publish(FanoutMessage(room.session_id, FanoutKind.UPDATE, update))
        self.rooms.note_update(room)

    def _reset(self, room: Room) -> None:
        """The event log could not be written: the room's memory is ahead of the database, so it
        is dropped before anyone builds on it; its clients reconnect, the room reloads from the
        database, and they re-send what it lacks (sync step 2)."""
        if room.discarded:
            return
        logger.error("event log unavailable: resetting the room", extra={"session_id": room.session_id})
        for other in room.connections.values():
            other.request_close(4503, "the session's storage is unavailable; reconnecting")
        self.rooms.drop(room)

    def _broadcast_awareness(
        self, room: Room, entries: list[AwarenessEntry], skip: Connection | None = None
    ) -> None:
        """To the room's clients but ``skip`` (a client ignores its own state coming back), and
        to the other nodes."""
        payload = protocol.encode_awareness(entries)
        room.broadcast_awareness(protocol.awareness_frame(payload), skip=skip)
        self._fanout.publish(FanoutMessage(room.session_id, FanoutKind.AWARENESS, payload))

    def record_presence(self, info: ClientInfo, kind: EventKind, data: bytes) -> None:
        """Joins, leaves and cursors: recorded unless the settings leave presence out."""
        if self._settings.record_presence:
            self._writer.append_nowait(NewEvent(info.session_id, kind, data, author=info.participant_id))


class _AwarenessRecorder:
    """Cursor and selection changes go to the event log at most every 250 ms per connection: a
    change inside that time is kept and written when it is up (so the last position of a burst
    is recorded when it happened, not at the next move), or when the connection ends. Past the
    session's recording allowance they go unrecorded (they are still shown)."""

    def __init__(self, service: SyncService, info: ClientInfo) -> None:
        self._service = service
        self._info = info
        self._last = 0.0
        self._pending: list[AwarenessEntry] = []
        self._timer: asyncio.TimerHandle | None = None

    def offer(self, entries: list[AwarenessEntry]) -> None:
        self._pending = entries
        wait = self._last + AWARENESS_RECORD_SECONDS - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last = time.monotonic()
        for entry in self._pending:
            data = b'{"client":%d,"clock":%d,"state":%s}' % (entry.client_id, entry.clock, entry.state)
            if self._service.budget.try_take(self._info.session_id, len(data)):
                self._service.record_presence(self._info, EventKind.AWARENESS, data)
        self._pending = []


def _spend(full_states: TokenBucket) -> None:
    """A full-state answer costs as much as the document or the awareness set: rate-limited."""
    if not full_states.take():
        raise CloseRequest(4429, "too many sync requests: slow down")


def _json(**values: str) -> bytes:
    return json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
