"""A terminal under a run's limits, for every engine.

A program on a pty is interactive, so its wall time is its owner's to decide (the console closes
an idle or old terminal), but everything else a run is held to applies: memory and processes
through its cgroup (set by the engine as for any step), and here its CPU time, polled as the
run supervisor does, and the bytes it may print. Past either, the whole sandbox is killed, the
pty reports the end, and ``ended_by`` says why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio

from server.exec.sandbox.model import Limits
from server.exec.sandbox.pty_terminal import PtyTerminal
from server.exec.sandbox.supervision import CPU_POLL_SECONDS


class LimitedTerminal:
    def __init__(
        self, pty: PtyTerminal, limits: Limits, *, cpu_ns: Callable[[], int], kill: Callable[[], None]
    ) -> None:
        self._pty = pty
        self._limits = limits
        self._cpu_ns = cpu_ns
        self._kill = kill
        self._printed = 0
        self.ended_by = ""

    def _end(self, why: str) -> None:
        if not self.ended_by:
            self.ended_by = why
        self._kill()

    async def read(self) -> bytes:
        if self.ended_by:
            return b""
        data = await self._pty.read()
        room = self._limits.output_bytes - self._printed
        self._printed += len(data)
        if len(data) > room:
            self._end(f"printed more than {self._limits.output_bytes} bytes: stopped")
            return data[:room]
        return data

    async def write(self, data: bytes) -> None:
        await self._pty.write(data)

    async def resize(self, rows: int, cols: int) -> None:
        await self._pty.resize(rows, cols)

    async def watch_cpu(self) -> None:
        limit_ns = int(self._limits.cpu_seconds * 1e9)
        while True:
            await anyio.sleep(CPU_POLL_SECONDS)
            if self._cpu_ns() > limit_ns:
                self._end(f"used more than {self._limits.cpu_seconds:g} s of CPU: stopped")
                return


@asynccontextmanager
async def limited(
    pty: PtyTerminal, limits: Limits, *, cpu_ns: Callable[[], int], kill: Callable[[], None]
) -> AsyncIterator[LimitedTerminal]:
    """``pty``'s program held to ``limits`` for as long as the context lasts."""
    terminal = LimitedTerminal(pty, limits, cpu_ns=cpu_ns, kill=kill)
    async with anyio.create_task_group() as tg:
        tg.start_soon(terminal.watch_cpu)
        try:
            yield terminal
        finally:
            tg.cancel_scope.cancel()
