"""One participant's websocket inside a room: who it is, what it may do, and its send queue."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from itertools import count

import anyio

from server.sessions.roles import Role
from server.sync import protocol
from server.sync.transport import Transport, TransportClosed

logger = logging.getLogger(__name__)

_ids = count(1)


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """The authenticated participant behind a connection, as the web layer established it."""

    session_id: str
    participant_id: str
    role: Role
    display_name: str
    writable: bool
    language: str = "python"  # the session's language: seeds a brand-new document


class CloseRequest(Exception):
    """Raised inside a connection's handling to close it with a websocket close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class Connection:
    """Frames to send sit in a bounded queue drained by one sender task; a client too slow to
    keep up is disconnected (never buffered without limit)."""

    def __init__(self, transport: Transport, info: ClientInfo, *, max_queue: int) -> None:
        self.id = next(_ids)
        self.transport = transport
        self.info = info
        self.writable = info.writable
        self.awareness_ids: set[int] = set()
        self._queue: deque[bytes] = deque()
        self._max_queue = max_queue
        self._ready = anyio.Event()
        self.close_request: CloseRequest | None = None

    def send(self, frame: bytes) -> None:
        if self.close_request is not None:
            return
        if len(self._queue) >= self._max_queue:
            self.request_close(4503, "client too slow: send queue full")
            return
        self._queue.append(frame)
        self._ready.set()

    def request_close(self, code: int, reason: str) -> None:
        """Ask the sender task to close the socket (it wakes up and does so)."""
        if self.close_request is None:
            self.close_request = CloseRequest(code, reason)
        self._ready.set()

    async def run_sender(self, keepalive_seconds: float) -> None:
        """Drain the queue into the socket until a close is requested or the socket fails.
        A quiet connection gets an empty awareness update now and then (clients time out
        after 30 s without any message)."""
        while True:
            with anyio.move_on_after(keepalive_seconds) as quiet:
                await self._ready.wait()
            if quiet.cancelled_caught:
                self._queue.append(protocol.KEEPALIVE)
            self._ready = anyio.Event()
            while self._queue and self.close_request is None:
                frame = self._queue.popleft()
                try:
                    await self.transport.send(frame)
                except TransportClosed:
                    return
            if self.close_request is not None:
                raise self.close_request
