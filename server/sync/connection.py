"""A websocket's bounded send queue, and one participant's sync connection inside a room."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass
from itertools import count
from typing import Any, Generic, TypeVar

import anyio

from server.sessions.roles import Role
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


F = TypeVar("F", bytes, str)


class Outbox(Generic[F]):
    """Frames to send sit in a bounded queue drained by one sender task; a client too slow to
    keep up is disconnected (never buffered without limit)."""

    def __init__(self, transport: Any, *, max_queue: int) -> None:
        self.id = next(_ids)
        self.transport = transport
        self._queue: deque[F] = deque()
        self._max_queue = max_queue
        self._ready = anyio.Event()
        self._last_sent = anyio.current_time()
        self.close_request: CloseRequest | None = None

    def send(self, frame: F) -> None:
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

    async def run_sender(self, keepalive_seconds: float, keepalive: F) -> None:
        """Drain the queue into the socket until a close is requested (raised as CloseRequest)
        or the socket fails. A quiet connection gets ``keepalive`` now and then (clients time out
        on silence)."""
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._keep_alive, keepalive_seconds, keepalive)
            close = await self._drain()
            tg.cancel_scope.cancel()
        if close is not None:
            raise close

    async def _drain(self) -> CloseRequest | None:
        # one wake-up per burst and no timer per wake-up: this runs for every frame of every room
        while True:
            await self._ready.wait()
            self._ready = anyio.Event()
            while self._queue and self.close_request is None:
                frame = self._queue.popleft()
                try:
                    await self.transport.send(frame)
                except TransportClosed:
                    return None
            self._last_sent = anyio.current_time()
            if self.close_request is not None:
                return self.close_request

    async def _keep_alive(self, seconds: float, keepalive: F) -> None:
        while True:
            await anyio.sleep(self._last_sent + seconds - anyio.current_time())
            if anyio.current_time() - self._last_sent >= seconds:
                self.send(keepalive)
                self._last_sent = anyio.current_time()


class Connection(Outbox[bytes]):
    """One participant's sync websocket inside a room: who it is and what it may do."""

    def __init__(self, transport: Transport, info: ClientInfo, *, max_queue: int) -> None:
        super().__init__(transport, max_queue=max_queue)
        self.info = info
        self.writable = info.writable
        self.awareness_ids: set[int] = set()
