"""The stdin of an interactive run, fed by the test: through a memory stream, or without end."""

from __future__ import annotations

from typing import cast

import anyio.lowlevel
from anyio.abc import ByteReceiveStream
from anyio.streams.memory import MemoryObjectReceiveStream


def as_stdin(chunks: MemoryObjectReceiveStream[bytes]) -> ByteReceiveStream:
    """A stream of byte chunks where the runners take a ``ByteReceiveStream``: they only iterate it
    (``async for chunk in stdin_stream``), which a memory stream of bytes does just the same (the
    console passes its own stream the same way, server/control/runs.py)."""
    return cast(ByteReceiveStream, chunks)


class EndlessInput(ByteReceiveStream):
    """Input that never ends: another chunk whenever one is asked for; ``given`` counts the bytes
    handed out. Each chunk is a checkpoint, as with any real stream (a memory stream's, a socket's)."""

    def __init__(self, chunk: bytes = b"y" * 65535 + b"\n") -> None:
        self.chunk = chunk
        self.given = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        await anyio.lowlevel.checkpoint()
        self.given += len(self.chunk)
        return self.chunk

    async def aclose(self) -> None:
        pass
