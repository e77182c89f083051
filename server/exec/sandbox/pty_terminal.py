"""The host side of a sandboxed program's pseudo-terminal, for every engine: non-blocking reads
and writes on the pty's master end (the program holds the slave as its stdio and controlling tty)."""

from __future__ import annotations

import fcntl
import os
import struct
import termios

import anyio


class PtyTerminal:
    def __init__(self, master: int) -> None:
        self._fd = master
        os.set_blocking(master, False)

    async def read(self) -> bytes:
        while True:
            await anyio.wait_readable(self._fd)
            try:
                return os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            except OSError:  # EIO: every slave end is closed, the program ended
                return b""

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            await anyio.wait_writable(self._fd)
            try:
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                continue
            except OSError:
                return

    async def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
