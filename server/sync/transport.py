"""What a room needs from a websocket; ``server.web.ws.sync`` adapts Starlette's to it."""

from __future__ import annotations

from typing import Protocol


class TransportClosed(Exception):
    """The peer went away (or the socket closed)."""


class Transport(Protocol):
    async def receive(self) -> bytes:
        """The next binary frame. Raises TransportClosed, or ProtocolError for a text frame."""
        ...

    async def send(self, frame: bytes) -> None: ...

    async def close(self, code: int, reason: str) -> None: ...
