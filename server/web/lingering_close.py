"""Closing a connection the client is still writing to, without destroying the answer it is owed.

A TCP socket closed while unread bytes wait in its receive buffer ends with a reset (RST), not a
normal end (FIN), and a reset can make the client's stack drop the response it has not read yet.
So a client still uploading when the server answers early (413 body too large, 429 too many
connections, 408 too slow) would see "connection reset" instead of the answer. Instead: write the
answer, end the server's direction (a FIN after the answer), read and discard whatever the client
still sends until it closes its side, up to a bound in bytes and in time, and only then close.
Apache and nginx call this a lingering close.
"""

from __future__ import annotations

import asyncio

#: The longest a lingering connection is kept, whatever it sends.
LINGER_SECONDS = 5.0


class LingeringClose:
    """Started once the answer is written; the protocol hands it every byte that arrives after."""

    def __init__(
        self,
        transport: asyncio.Transport,
        *,
        max_bytes: int,
        seconds: float = LINGER_SECONDS,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._transport = transport
        self._left = max_bytes
        if transport.can_write_eof():  # not on TLS: there the end comes with the close
            transport.write_eof()  # after what is buffered: the answer arrives whole
        self._timer = loop.call_later(seconds, self._give_up)

    def discard(self, data: bytes) -> None:
        """Throw ``data`` away; past the byte bound, close (the client is not listening)."""
        self._left -= len(data)
        if self._left < 0:
            self._give_up()

    def cancel(self) -> None:
        """The connection has ended."""
        self._timer.cancel()

    def _give_up(self) -> None:
        self._timer.cancel()
        if not self._transport.is_closing():
            self._transport.close()
