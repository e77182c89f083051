"""One live websocket on picows: frames arrive by callback, go out by direct writes.

The sync and console sockets carry thousands of small frames a second per node. picows parses and
writes frames in compiled code and calls ``on_ws_frame`` synchronously, so a frame costs no
coroutine, queue or ASGI message on the way in, and a send is one write into the connection's
transport on the way out. The sync protocol has every frame handed to a callback as it arrives
(``listen``: nothing in its handling waits); the console reads its socket as a stream
(``receive``).

A message may come in fragments (RFC 6455 continuation frames); they are joined up to
``max_message`` bytes. Text that is not UTF-8 closes the socket with 1007, a message over the cap
with 1009, as the RFC says. Pings are answered by picows. Messages that arrive before the
handler takes them (while the token is checked, or while a command is handled) wait in a queue
of at most MAX_INBOX_MESSAGES and twice ``max_message`` bytes; a client that sends past that
is closed with 4429.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from typing import cast
from urllib.parse import parse_qsl

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

from server.channels.outbox import CloseRequest
from server.channels.transport import TransportClosed

logger = logging.getLogger(__name__)

MAX_REASON = 120  # a close frame's reason must fit in 123 bytes
#: After sending a close frame, how long the peer has to answer with its own before the
#: connection is dropped anyway.
CLOSE_TIMEOUT = 2.0
TEXT_REFUSED = "text frames are not part of the protocol; send binary frames"
# RFC 6455 close codes (picows types its own as an enum; it sends any int)
INVALID_TEXT, MESSAGE_TOO_BIG, INTERNAL_ERROR, SERVICE_RESTART = 1007, 1009, 1011, 1012
MAX_INBOX_MESSAGES = 64
INBOX_FULL = "too many messages waiting: slow down"

Message = bytes | str


def _nothing() -> None:
    return None


class LiveSocket(WSListener):
    """A server-side websocket, already upgraded (see ``server.web.ws.routes``)."""

    def __init__(
        self, path: str, query_string: str, *, max_message: int, on_open: Callable[[LiveSocket], None]
    ) -> None:
        """``on_open`` is called once the handshake is complete (a request picows refuses never
        gets that far)."""
        self.path = path
        self._on_open = on_open
        self.query_string = query_string
        self._max_message = max_message
        self._transport: WSTransport | None = None
        self._inbox: deque[Message] = deque()
        self._inbox_bytes = 0
        self._on_frame: Callable[[bytes], None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] = []
        self._fragments_size = 0
        self._fragment_type = WSMsgType.BINARY
        self._pause: Callable[[], None] = _nothing
        self._resume: Callable[[], None] = _nothing
        self._ended: Callable[[], None] = _nothing
        self._closing = False  # a close frame went out, or the peer's came in: nothing more flows
        self._disconnected = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None  # what ended the socket, for the access log

    def query(self, name: str) -> str:
        for key, value in parse_qsl(self.query_string):
            if key == name:
                return str(value)
        return ""

    # ---- picows callbacks ------------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        self._on_open(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.BINARY and frame.fin and self._on_frame is not None and not self._closing:
            self._dispatch(frame.get_payload_as_bytes())  # the sync path: nothing else to decide
            return
        if kind is WSMsgType.CLOSE:
            self._peer_closed(transport, frame)
            return
        if self._closing or kind is WSMsgType.PONG or kind is WSMsgType.PING:
            return
        if kind is WSMsgType.CONTINUATION or not frame.fin:
            if kind is not WSMsgType.CONTINUATION:
                self._fragment_type = kind
            self._fragments.append(frame.get_payload_as_bytes())
            self._fragments_size += frame.payload_size
            if self._fragments_size > self._max_message:
                self.start_close(MESSAGE_TOO_BIG, "message too big")
                return
            if not frame.fin:
                return
            data, kind = b"".join(self._fragments), self._fragment_type
            self._fragments, self._fragments_size = [], 0
        else:
            data = frame.get_payload_as_bytes()
        if kind is WSMsgType.TEXT:
            try:
                text = data.decode()
            except UnicodeDecodeError:
                self.start_close(INVALID_TEXT, "text frames must be UTF-8")
                return
            if self._on_frame is not None:
                self.start_close(4400, TEXT_REFUSED)
            else:
                self._deliver(text)
        elif self._on_frame is not None:
            self._dispatch(data)
        else:
            self._deliver(data)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._closing = True
        if self.close_code is None:
            self.close_code = 1006
        self._wake()
        if not self._disconnected.done():
            self._disconnected.set_result(None)
        self._ended()

    def pause_writing(self) -> None:
        self._pause()

    def resume_writing(self) -> None:
        self._resume()

    # ---- the handler's side ----------------------------------------------------------------------

    def watch(self, pause: Callable[[], None], resume: Callable[[], None], ended: Callable[[], None]) -> None:
        self._pause, self._resume, self._ended = pause, resume, ended
        if self._disconnected.done():
            ended()

    async def receive(self) -> Message:
        """The next message; raises TransportClosed once the socket is closing."""
        while not self._inbox:
            if self._closing:
                raise TransportClosed()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._take()

    def listen(self, on_frame: Callable[[bytes], None]) -> None:
        """Hand every binary message to ``on_frame`` as it arrives, those already received first;
        a text message closes the socket (4400). A CloseRequest from ``on_frame`` closes it with
        its code, any other exception with 1011."""
        self._on_frame = on_frame
        while self._inbox and not self._closing:
            message = self._take()
            if isinstance(message, str):
                self.start_close(4400, TEXT_REFUSED)
            else:
                self._dispatch(message)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._disconnected)

    def send_bytes(self, data: bytes) -> None:
        if self._closing or self._transport is None:
            raise TransportClosed()
        self._transport.send(WSMsgType.BINARY, data)

    def send_text(self, text: str) -> None:
        if self._closing or self._transport is None:
            raise TransportClosed()
        self._transport.send(WSMsgType.TEXT, text.encode())

    def start_close(self, code: int, reason: str) -> None:
        """Send a close frame with ``code``; the connection ends when the peer answers with its
        own, or after CLOSE_TIMEOUT."""
        if self._closing or self._transport is None:
            return
        self._closing = True
        self.close_code = code
        self._wake()
        self._transport.send_close(cast(WSCloseCode, code), reason.encode()[:MAX_REASON])
        asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._transport.disconnect)

    async def close(self, code: int, reason: str) -> None:
        self.start_close(code, reason)
        await self.wait_closed()

    def shutdown(self) -> None:
        """The server is stopping: 1012 (service restart), the client reconnects elsewhere."""
        self.start_close(SERVICE_RESTART, "server restarting")

    # ---- internals -------------------------------------------------------------------------------

    def _deliver(self, message: Message) -> None:
        self._inbox.append(message)
        self._inbox_bytes += len(message)
        if len(self._inbox) > MAX_INBOX_MESSAGES or self._inbox_bytes > 2 * self._max_message:
            self._inbox.clear()
            self._inbox_bytes = 0
            self.start_close(4429, INBOX_FULL)
            return
        self._wake()

    def _take(self) -> Message:
        message = self._inbox.popleft()
        self._inbox_bytes -= len(message)
        return message

    def _dispatch(self, frame: bytes) -> None:
        assert self._on_frame is not None
        try:
            self._on_frame(frame)
        except CloseRequest as request:
            self.start_close(request.code, request.reason)
        except Exception:  # a bug in the handling ends this socket, never the server
            logger.exception("a live socket's handler failed on a message")
            self.start_close(INTERNAL_ERROR, "internal error")

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _peer_closed(self, transport: WSTransport, frame: WSFrame) -> None:
        if not self._closing:  # the peer closes first: answer with its code, then hang up
            self._closing = True
            code = cast(int, frame.get_close_code())
            self.close_code = code or 1005
            transport.send_close(cast(WSCloseCode, code or 1000))
            self._wake()
        transport.disconnect()


class _SocketTransport:
    """What the sync and console transports share: everything but the message type."""

    def __init__(self, socket: LiveSocket) -> None:
        self._socket = socket
        self.watch = socket.watch
        self.start_close = socket.start_close
        self.close = socket.close


class BinaryTransport(_SocketTransport):
    """The sync protocol's frames: binary only, handled as they arrive (``FrameTransport``)."""

    def __init__(self, socket: LiveSocket) -> None:
        super().__init__(socket)
        self.send = socket.send_bytes
        self.listen = socket.listen


class TextTransport(_SocketTransport):
    """The control channel's JSON frames as a stream (``StreamTransport``): text (binary frames
    are read as UTF-8). Their size was capped by the socket as they arrived."""

    def __init__(self, socket: LiveSocket) -> None:
        super().__init__(socket)
        self.send = socket.send_text

    async def receive(self) -> str:
        message = await self._socket.receive()
        if isinstance(message, bytes):
            message = message.decode("utf-8", errors="replace")
        return message
