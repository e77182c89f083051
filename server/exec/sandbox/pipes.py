"""Pipes between the host and a sandboxed program, read and written through the event loop
(non-blocking, whatever loop it is), for every engine."""

from __future__ import annotations

import os

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream

READ_CHUNK = 65536


class PipeReader(ByteReceiveStream):
    """The read end of a pipe, non-blocking."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._closed = False

    async def receive(self, max_bytes: int = READ_CHUNK) -> bytes:
        while True:
            if self._closed:
                raise anyio.ClosedResourceError
            try:
                data = os.read(self.fd, max_bytes)
            except BlockingIOError:
                await anyio.wait_readable(self.fd)
                continue
            if not data:
                raise anyio.EndOfStream
            return data

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self.fd)


class PipeWriter(ByteSendStream):
    """The write end of a pipe, non-blocking; a reader that went away is BrokenResourceError."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self._closed = False

    async def send(self, item: bytes) -> None:
        view = memoryview(item)
        while view:
            if self._closed:
                raise anyio.ClosedResourceError
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                await anyio.wait_writable(self.fd)
            except BrokenPipeError as exc:
                raise anyio.BrokenResourceError from exc

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            os.close(self.fd)


def stdio_pipe(index: int, owner: tuple[int, int] | None) -> tuple[int, int]:
    """A pipe for standard stream ``index`` (0: stdin): ``(the child's end, ours)``, both
    close-on-exec. ``owner`` (uid, gid) owns the child's end, so a program running as that user
    can reopen it (``/dev/stdin``)."""
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    child_end, parent_end = (read_end, write_end) if index == 0 else (write_end, read_end)
    if owner is not None:
        try:
            os.fchown(child_end, *owner)
        except BaseException:
            os.close(read_end)
            os.close(write_end)
            raise
    return child_end, parent_end
