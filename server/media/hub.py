"""``MediaHub``: the media of every session with participants on this node.

The control channel hands it each media command of a participant already checked against their
role (observers do not publish; nobody publishes or receives in an ended session) and their
allowance. Each session's signalling runs in order on its room's task, contained: an operation
that fails ends with an error to its sender, never the hub. A connection that closes (its
socket ended, its link was revoked) and a session that ends stop every track at once.

Peer connections live on the node of the participant's control socket: on a cluster, the
participants of one session see each other's video only when their control sockets reach the
same node (docs/media.md, "Cluster").
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from server.media import aiortc_taps
from server.media.messages import (
    IceServer,
    MediaAnswer,
    MediaCandidate,
    MediaCommand,
    MediaJoin,
    MediaLeave,
    MediaOffer,
    MediaUnpublish,
)
from server.media.room import MediaConnection, MediaLimits, MediaRoom, Op, Refused
from server.recording.writer import EventWriter
from server.settings import Settings

logger = logging.getLogger(__name__)

#: Operations one session's signalling may have waiting.
QUEUE = 256
FAILED = "the server failed to handle this media message"


def ice_servers(settings: Settings) -> tuple[IceServer, ...]:
    """``DUET_MEDIA_ICE_SERVERS``: a JSON list of {urls, username?, credential?} (STUN/TURN)."""
    if not settings.media_ice_servers:
        return ()
    raw = json.loads(settings.media_ice_servers)
    servers = []
    for entry in raw:
        urls = entry["urls"]
        servers.append(
            IceServer(
                urls=[urls] if isinstance(urls, str) else list(urls),
                username=entry.get("username"),
                credential=entry.get("credential"),
            )
        )
    return tuple(servers)


def media_root(settings: Settings) -> Path:
    return Path(settings.media_dir) if settings.media_dir else settings.var_dir / "media"


def _closing(room: MediaRoom) -> Op:
    async def close() -> None:
        await room.close_all("the server stopped")

    return close


@dataclass(eq=False)
class _Line:
    room: MediaRoom
    send: MemoryObjectSendStream[Op]
    connections: set[int] = field(default_factory=set)


class MediaHub:
    def __init__(self, settings: Settings, writer: EventWriter) -> None:
        aiortc_taps.check_version()
        self._settings = settings
        self._writer = writer
        self._ice = ice_servers(settings)
        self._root = media_root(settings)
        self._lines: dict[str, _Line] = {}
        self._tg: TaskGroup | None = None

    @property
    def root(self) -> Path:
        """Where recordings live: one directory per session."""
        return self._root

    @asynccontextmanager
    async def running(self) -> AsyncIterator[MediaHub]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            try:
                yield self
            finally:
                for line in list(self._lines.values()):
                    line.room.cut_all()
                    self._queue(line, _closing(line.room))
                    line.send.close()  # each room's task ends once its queue is done
                self._tg = None

    def handle(self, conn: MediaConnection, command: MediaCommand) -> str | None:
        """Queue one command; an error for its sender when it is refused outright."""
        if isinstance(command, MediaOffer) and not conn.can_publish:
            return "your role receives audio and video but does not publish them"
        line = self._line(conn.session_id)
        if line is None:
            return "audio and video are not available on this server now"
        room = line.room
        line.connections.add(conn.id)
        op: Op
        if isinstance(command, MediaJoin):

            async def op() -> None:
                await room.join(conn)
        elif isinstance(command, MediaOffer):

            async def op() -> None:
                await room.publish(conn, command)
        elif isinstance(command, MediaAnswer):

            async def op() -> None:
                await room.answer(conn, command)
        elif isinstance(command, MediaCandidate):

            async def op() -> None:
                await room.candidate(conn, command)
        elif isinstance(command, MediaUnpublish):

            async def op() -> None:
                await room.unpublish(conn, command.pc)
        else:
            assert isinstance(command, MediaLeave)

            async def op() -> None:
                await room.leave(conn.id)

        async def contained() -> None:
            try:
                await op()
            except Refused as exc:
                conn.refuse(str(exc), command.type)
            except Exception:
                logger.exception(
                    "the %s media command failed", command.type, extra={"session_id": room.session_id}
                )
                conn.refuse(FAILED, command.type)

        try:
            line.send.send_nowait(contained)
        except anyio.WouldBlock:
            return "too many audio/video messages at once: wait a moment"
        return None

    def disconnect(self, session_id: str, conn_id: int) -> None:
        """A control connection ended: nothing flows to or from it any more."""
        line = self._lines.get(session_id)
        if line is None or conn_id not in line.connections:
            return
        line.connections.discard(conn_id)
        line.room.cut_connection(conn_id)
        room = line.room

        async def leave() -> None:
            await room.leave(conn_id)

        self._queue(line, leave)

    def session_ended(self, session_id: str) -> None:
        line = self._lines.get(session_id)
        if line is None:
            return
        line.room.cut_all()
        room = line.room

        async def close() -> None:
            await room.close_all("the session ended")

        self._queue(line, close)

    async def settled(self, session_id: str) -> None:
        """Wait until the session's media operations queued so far are done."""
        line = self._lines.get(session_id)
        if line is None:
            return
        done = anyio.Event()

        async def mark() -> None:
            done.set()

        self._queue(line, mark)
        if self._lines.get(session_id) is line:
            await done.wait()

    # ---- inside ---------------------------------------------------------------------------------

    def _queue(self, line: _Line, op: Op) -> None:
        try:
            line.send.send_nowait(op)
        except anyio.WouldBlock:  # an end must not wait: run it beside the line
            self._spawn(op)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass

    def _line(self, session_id: str) -> _Line | None:
        line = self._lines.get(session_id)
        if line is not None:
            return line
        if self._tg is None:
            return None
        send, receive = anyio.create_memory_object_stream[Op](QUEUE)
        limits = MediaLimits(
            ice_servers=self._ice,
            directory=self._root / session_id,
            record=self._settings.media_record,
            max_publishers=self._settings.media_max_streams_per_session,
            max_kbps=self._settings.media_max_kbps,
            max_file_bytes=self._settings.media_max_file_mb * 1024 * 1024,
        )
        queued: list[_Line] = []
        room = MediaRoom(session_id, limits, self._writer, self._spawn, lambda op: self._queue(queued[0], op))
        line = _Line(room, send)
        queued.append(line)
        self._lines[session_id] = line
        self._tg.start_soon(self._serve, line, receive)
        return line

    async def _serve(self, line: _Line, receive: MemoryObjectReceiveStream[Op]) -> None:
        async with receive:
            async for op in receive:
                try:
                    await op()
                except Exception:
                    logger.exception("a media operation failed", extra={"session_id": line.room.session_id})
                idle = (
                    line.room.empty and not line.connections and not receive.statistics().current_buffer_used
                )
                if idle and self._lines.get(line.room.session_id) is line:
                    del self._lines[line.room.session_id]  # no await since the check
                    line.send.close()
                    return

    def _spawn(self, work: Op) -> None:
        if self._tg is None:
            return

        async def contained() -> None:
            try:
                await work()
            except Exception:
                logger.exception("media work failed")

        self._tg.start_soon(contained)
