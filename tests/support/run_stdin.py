"""The stdin of an interactive run, fed by the test through a memory stream."""

from __future__ import annotations

from typing import cast

from anyio.abc import ByteReceiveStream
from anyio.streams.memory import MemoryObjectReceiveStream


def as_stdin(chunks: MemoryObjectReceiveStream[bytes]) -> ByteReceiveStream:
    """A stream of byte chunks where the runners take a ``ByteReceiveStream``: they only iterate it
    (``async for chunk in stdin_stream``), which a memory stream of bytes does just the same (the
    console passes its own stream the same way, server/control/runs.py)."""
    return cast(ByteReceiveStream, chunks)
