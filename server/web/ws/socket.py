"""One websocket straight on the ASGI server's ``receive`` and ``send``.

The sync and console sockets carry thousands of small frames a second per node. Starlette's
``WebSocket`` and the middleware wrappers around ``send`` cost more per frame than handling the
frame does, so these sockets are routed before the middleware stack (``server.web.ws.routes``) and
speak raw ASGI messages through this class.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import Message, Receive, Scope, Send

from server.sync.protocol import ProtocolError
from server.sync.transport import TransportClosed

MAX_REASON = 120  # a close frame's reason must fit in 123 bytes


class AsgiSocket:
    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self._accepted = False
        self._closed = False
        self.close_code: int | None = None  # what the server closed with, for the access log

    def query(self, name: str) -> str:
        for key, value in parse_qsl(self.scope.get("query_string", b"").decode("latin-1")):
            if key == name:
                return str(value)
        return ""

    async def accept(self) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            self._closed = True
            raise TransportClosed()
        await self._send({"type": "websocket.accept"})
        self._accepted = True

    async def receive(self) -> Message:
        """The next data message (``bytes`` or ``text`` set). Raises TransportClosed."""
        if self._closed:
            raise TransportClosed()
        message = await self._receive()
        if message["type"] != "websocket.receive":
            self._closed = True
            if self.close_code is None:
                self.close_code = message.get("code", 1005)
            raise TransportClosed()
        return message

    async def send(self, message: Message) -> None:
        if self._closed:
            raise TransportClosed()
        try:
            await self._send(message)
        except (OSError, RuntimeError) as exc:  # uvicorn's ClientDisconnected is an OSError
            self._closed = True
            raise TransportClosed() from exc

    async def close(self, code: int, reason: str) -> None:
        """Close with ``code`` (accepting first if needed, so the client sees the code)."""
        if self._closed:
            return
        try:
            if not self._accepted:
                await self.accept()
            await self._send({"type": "websocket.close", "code": code, "reason": reason[:MAX_REASON]})
        except (OSError, RuntimeError, TransportClosed):
            pass
        self._closed = True
        self.close_code = code


class BinaryTransport:
    """The sync protocol's frames: binary only (a text frame is a protocol error)."""

    def __init__(self, socket: AsgiSocket) -> None:
        self._socket = socket

    async def receive(self) -> bytes:
        message = await self._socket.receive()
        data = message.get("bytes")
        if data is None:
            raise ProtocolError("text frames are not part of the protocol; send binary frames")
        return data  # type: ignore[no-any-return]

    async def send(self, frame: bytes) -> None:
        await self._socket.send({"type": "websocket.send", "bytes": frame})

    async def close(self, code: int, reason: str) -> None:
        await self._socket.close(code, reason)


class TextTransport:
    """The control channel's JSON frames: text (binary frames are read as UTF-8), capped."""

    def __init__(self, socket: AsgiSocket, *, max_frame: int) -> None:
        self._socket = socket
        self._max_frame = max_frame

    async def receive(self) -> str:
        message = await self._socket.receive()
        text = message.get("text")
        if text is None:
            text = (message.get("bytes") or b"").decode("utf-8", errors="replace")
        return str(text)[: self._max_frame + 1]

    async def send(self, frame: str) -> None:
        await self._socket.send({"type": "websocket.send", "text": frame})

    async def close(self, code: int, reason: str) -> None:
        await self._socket.close(code, reason)
