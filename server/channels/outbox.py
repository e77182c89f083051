"""A live socket's send side: frames written at once, or queued (bounded by bytes) while the
peer does not read; and the exception a handler raises to close its socket."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from itertools import count
from typing import Generic

import anyio

from server.channels.transport import F, Transport, TransportClosed

_ids = count(1)
#: What a queued frame costs beyond its payload (the deque slot, the object headers).
FRAME_OVERHEAD = 64
TOO_SLOW = (4503, "client too slow: send queue full")


class CloseRequest(Exception):
    """Raised inside a connection's handling to close it with a websocket close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def frame_size(frame: bytes | str) -> int:
    """Bytes on the wire (text frames are UTF-8)."""
    if isinstance(frame, bytes) or frame.isascii():
        return len(frame)
    return len(frame.encode())


class Outbox(Generic[F]):
    """Frames go to the socket at once while the peer keeps up. While it does not read (its
    buffer over the high-water mark) they wait here, in order, up to ``max_queue_bytes``; a
    client too slow to catch up is disconnected (never buffered without limit).

    Full-state answers (a sync step 2 for an old state vector, every awareness state) can be as
    large as the whole document: at most one of each kind waits at a time. While one waits, a
    repeated request is answered by it, since everything sent after it follows it in the queue,
    and its frame is not even built (``send_full_state``)."""

    def __init__(self, transport: Transport[F], *, max_queue_bytes: int) -> None:
        self.id = next(_ids)
        self.transport: Transport[F] = transport
        self._send: Callable[[F], None] = transport.send
        self._queue: deque[tuple[F, str | None]] = deque()
        self._queued_bytes = 0
        self._max_queue_bytes = max_queue_bytes
        self._full_pending: set[str] = set()
        self._paused = False
        self._held = False
        self._last_sent = time.monotonic()
        self._done = anyio.Event()
        self.close_request: CloseRequest | None = None
        transport.watch(self._pause, self._resume, self._done.set)

    @property
    def queued_bytes(self) -> int:
        return self._queued_bytes

    def hold(self) -> None:
        """Queue what is sent from now on until ``release``: a connection whose first frame is
        built after it joined (the control channel's hello) gets that frame first."""
        self._held = True

    def release(self, first: F) -> None:
        """Send ``first``, then what was queued while held."""
        self._held = False
        if self.close_request is not None:
            return
        if self._enqueue(first, None):
            self._queue.rotate(1)  # to the front
        if not self._paused:
            self._resume()

    def send(self, frame: F) -> None:
        if self.close_request is not None:
            return
        if self._paused or self._held or self._queue:
            self._enqueue(frame, None)
            return
        self._write(frame)

    def send_full_state(self, kind: str, make: Callable[[], F | None]) -> None:
        """Send the frame ``make`` builds (None: nothing to send), unless a full-state answer of
        the same ``kind`` is still queued: that one answers this request too."""
        if self.close_request is not None or kind in self._full_pending:
            return
        frame = make()
        if frame is None:
            return
        if self._paused or self._held or self._queue:
            if self._enqueue(frame, kind):
                self._full_pending.add(kind)
            return
        self._write(frame)

    def request_close(self, code: int, reason: str) -> None:
        """Close the socket with ``code``: nothing more is sent or received."""
        if self.close_request is None:
            self.close_request = CloseRequest(code, reason)
            self.transport.start_close(code, reason)
        self._queue.clear()
        self._queued_bytes = 0
        self._done.set()

    async def run(self, keepalive_seconds: float, keepalive: F) -> None:
        """Until the socket closes, or a close is requested (then raised as CloseRequest): a
        quiet connection gets ``keepalive`` now and then (clients time out on silence). The
        socket's end sets ``_done`` through the transport's ``ended`` callback, so there is no task
        of its own (a task group and a task per connection showed in py-spy's profile of a node
        whose clients all connect at once)."""
        while not self._done.is_set():
            with anyio.move_on_after(self._last_sent + keepalive_seconds - time.monotonic()):
                await self._done.wait()
            if not self._done.is_set() and time.monotonic() - self._last_sent >= keepalive_seconds:
                self.send(keepalive)
                self._last_sent = time.monotonic()  # also when it had to wait in the queue
        if self.close_request is not None:
            raise self.close_request

    def _enqueue(self, frame: F, kind: str | None) -> bool:
        size = frame_size(frame) + FRAME_OVERHEAD
        if self._queued_bytes + size > self._max_queue_bytes:
            self.request_close(*TOO_SLOW)
            return False
        self._queue.append((frame, kind))
        self._queued_bytes += size
        return True

    def _pause(self) -> None:
        self._paused = True

    def _resume(self) -> None:
        self._paused = False
        while self._queue and not self._paused and not self._held and not self._done.is_set():
            frame, kind = self._queue.popleft()
            self._queued_bytes -= frame_size(frame) + FRAME_OVERHEAD
            if kind is not None:
                self._full_pending.discard(kind)
            self._write(frame)

    def _write(self, frame: F) -> None:
        try:
            self._send(frame)
        except TransportClosed:
            self._done.set()  # the peer is gone: nothing more to send
            return
        self._last_sent = time.monotonic()
