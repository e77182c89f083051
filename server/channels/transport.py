"""What a live socket handler needs from a websocket; ``server.web.ws.socket`` provides it.

Sending never waits: a frame is written to the connection at once, or, while the peer is not
reading, kept by the caller's bounded ``Outbox`` until the transport says it may write again.
Receiving is either a callback (``FrameTransport.listen``, the hot sync path: every frame is
handled as it arrives, with no task switch in between) or a stream (``StreamTransport.receive``,
the console, whose commands may wait).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

F = TypeVar("F", bytes, str)
F_contra = TypeVar("F_contra", bytes, str, contravariant=True)


class TransportClosed(Exception):
    """The peer went away (or the socket closed)."""


class Transport(Protocol[F_contra]):
    def send(self, frame: F_contra) -> None:
        """Write ``frame`` now. Raises TransportClosed."""
        ...

    def watch(self, pause: Callable[[], None], resume: Callable[[], None], ended: Callable[[], None]) -> None:
        """``pause`` is called when the peer stops reading (the connection's buffer went over
        its high-water mark), ``resume`` when it has caught up, ``ended`` once the connection has
        ended, closed by either side (at once if it has already)."""
        ...

    def start_close(self, code: int, reason: str) -> None:
        """Send a close frame with ``code``; the connection ends when the peer answers or after
        a short timeout. Nothing more is received or sent."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """``start_close``, then wait for the connection to end."""
        ...


class FrameTransport(Transport[bytes], Protocol):
    def listen(self, on_frame: Callable[[bytes], None]) -> None:
        """From now on, hand every binary frame to ``on_frame`` as it arrives (those already
        received first). A ``CloseRequest`` raised by it closes the socket with its code; a text
        frame closes it with 4400."""
        ...


class StreamTransport(Transport[str], Protocol):
    async def receive(self) -> str:
        """The next message. Raises TransportClosed."""
        ...
