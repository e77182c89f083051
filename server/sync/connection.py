"""A websocket's bounded send queue, and one participant's sync connection inside a room."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import Generic

import anyio

from server.sessions.roles import Role
from server.sync.transport import F, FrameTransport, Transport, TransportClosed

logger = logging.getLogger(__name__)

_ids = count(1)
#: How many awareness frames sent to a client are remembered to recognise its echoes.
RECENT_AWARENESS = 8


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


class Outbox(Generic[F]):
    """Frames go to the socket at once while the peer keeps up. While it does not read (its
    buffer over the high-water mark) they wait here, in a bounded queue, and go out in order once
    it reads again; a client too slow to catch up is disconnected (never buffered without
    limit)."""

    def __init__(self, transport: Transport[F], *, max_queue: int) -> None:
        self.id = next(_ids)
        self.transport: Transport[F] = transport
        self._send: Callable[[F], None] = transport.send
        self._queue: deque[F] = deque()
        self._max_queue = max_queue
        self._paused = False
        self._last_sent = time.monotonic()
        self._done = anyio.Event()
        self.close_request: CloseRequest | None = None
        transport.set_flow_control(self._pause, self._resume)

    def send(self, frame: F) -> None:
        if self.close_request is not None:
            return
        if self._paused or self._queue:
            if len(self._queue) >= self._max_queue:
                self.request_close(4503, "client too slow: send queue full")
                return
            self._queue.append(frame)
            return
        self._write(frame)

    def request_close(self, code: int, reason: str) -> None:
        """Close the socket with ``code``: nothing more is sent or received."""
        if self.close_request is None:
            self.close_request = CloseRequest(code, reason)
            self.transport.start_close(code, reason)
        self._done.set()

    async def run(self, keepalive_seconds: float, keepalive: F) -> None:
        """Until the socket closes, or a close is requested (then raised as CloseRequest): a
        quiet connection gets ``keepalive`` now and then (clients time out on silence)."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_socket)
            while not self._done.is_set():
                with anyio.move_on_after(self._last_sent + keepalive_seconds - time.monotonic()):
                    await self._done.wait()
                if not self._done.is_set() and time.monotonic() - self._last_sent >= keepalive_seconds:
                    self.send(keepalive)
                    self._last_sent = time.monotonic()  # also when it had to wait in the queue
            tg.cancel_scope.cancel()
        if self.close_request is not None:
            raise self.close_request

    async def _watch_socket(self) -> None:
        await self.transport.wait_closed()
        self._done.set()

    def _pause(self) -> None:
        self._paused = True

    def _resume(self) -> None:
        self._paused = False
        while self._queue and not self._paused and not self._done.is_set():
            self._write(self._queue.popleft())

    def _write(self, frame: F) -> None:
        try:
            self._send(frame)
        except TransportClosed:
            self._done.set()  # the peer is gone: nothing more to send
            return
        self._last_sent = time.monotonic()


class Connection(Outbox[bytes]):
    """One participant's sync websocket inside a room: who it is and what it may do."""

    def __init__(self, transport: FrameTransport, info: ClientInfo, *, max_queue: int) -> None:
        super().__init__(transport, max_queue=max_queue)
        self.info = info
        self.writable = info.writable
        self.awareness_ids: set[int] = set()
        #: The last awareness frames sent to this client. The stock provider sends every awareness
        #: change it applies back to the server, re-encoded to the same bytes: those echoes carry
        #: nothing new (older clocks, or removals already made) and are dropped unparsed.
        self.sent_awareness: deque[bytes] = deque(maxlen=RECENT_AWARENESS)
