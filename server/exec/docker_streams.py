"""A program's streams over a hijacked Docker connection (attach or exec, no tty), in the loop.

Docker multiplexes stdout and stderr on one connection in frames of an 8-byte header (stream,
three zero bytes, big-endian length) and the payload; stdin goes the other way, raw, and is
ended by a half-close. The socket is made non-blocking and driven by the event loop: no thread
per stream, no thread hop per chunk.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream, TaskGroup

from server.exec.output import CappedOutput

STDERR = 2
HEADER = struct.Struct(">BxxxI")
READ_CHUNK = 65536


async def bridge(
    raw: socket.socket,
    stdin: bytes,
    stdin_stream: ByteReceiveStream | None,
    stdout: CappedOutput,
    stderr: CappedOutput,
    over_limit: Callable[[], Coroutine[Any, Any, None]] | None,
) -> None:
    """Send ``stdin`` (then ``stdin_stream``, then EOF) while passing output on, until the
    connection ends; ``over_limit`` is awaited once a stream goes over its cap."""
    raw.setblocking(False)
    async with anyio.create_task_group() as tg:
        tg.start_soon(_write, raw, stdin, stdin_stream)
        await _read(raw, stdout, stderr, over_limit, tg)
        tg.cancel_scope.cancel()


async def _read(
    raw: socket.socket,
    stdout: CappedOutput,
    stderr: CappedOutput,
    over_limit: Callable[[], Coroutine[Any, Any, None]] | None,
    tg: TaskGroup,
) -> None:
    # Reading never pauses, not even while the program is being stopped: Docker waits for a
    # container's streams to be drained before it lets the container go.
    pending = bytearray()
    limited = False
    while True:
        try:
            chunk = raw.recv(READ_CHUNK)
        except BlockingIOError:
            await anyio.wait_readable(raw)
            continue
        except OSError:
            return
        if not chunk:
            return
        pending += chunk
        while len(pending) >= HEADER.size:
            kind, size = HEADER.unpack_from(pending)
            if len(pending) < HEADER.size + size:
                break
            payload = bytes(pending[HEADER.size : HEADER.size + size])
            del pending[: HEADER.size + size]
            target = stderr if kind == STDERR else stdout
            if not await target.feed(payload) and over_limit is not None and not limited:
                limited = True
                tg.start_soon(over_limit)


async def _write(raw: socket.socket, stdin: bytes, stdin_stream: ByteReceiveStream | None) -> None:
    try:
        await _send_all(raw, stdin)
        if stdin_stream is not None:
            async for chunk in stdin_stream:
                await _send_all(raw, chunk)
        raw.shutdown(socket.SHUT_WR)
    except OSError:  # the program (or its container) is gone: nobody reads any more
        return


async def _send_all(raw: socket.socket, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[raw.send(view) :]
        except BlockingIOError:
            await anyio.wait_writable(raw)


def close(wrapper: object, raw: socket.socket) -> None:
    """Close a hijacked connection: the SDK's SocketIO wrapper holds a reference to the socket."""
    with contextlib.suppress(OSError):
        wrapper.close()  # type: ignore[attr-defined]
    with contextlib.suppress(OSError):
        raw.close()
