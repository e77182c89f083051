"""Sandboxes made ahead of their runs, each used once, torn down off the request path.

Both engines keep a few sandboxes ready for the default limits (setting one up is the slow part)
and release used ones in the background. What a sandbox is, how it is made and how it is torn
down are the engine's; keeping the pool full, handing out live ones, and releasing what is used
or left at shutdown is this module's.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Generic, Protocol, TypeVar

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

#: After a failure to make a sandbox for the pool, wait this long before the next attempt.
REFILL_BACKOFF_SECONDS = 5.0
#: Used sandboxes waiting for their teardown in the background; beyond it, runs tear down their own.
USED_BACKLOG = 64


class Pooled(Protocol):
    def alive(self) -> bool:
        """Still ready for a run (nothing killed it while it waited)."""
        ...


S = TypeVar("S", bound=Pooled)


class WarmPool(Generic[S]):
    """``size`` sandboxes made by ``make`` kept ready while ``running``; ``release`` tears one
    down (used, dead, or left over at shutdown). The engine's ``log`` says what happens to them."""

    def __init__(
        self,
        size: int,
        make: Callable[[], Awaitable[S]],
        release: Callable[[S], Awaitable[None]],
        *,
        log: logging.Logger,
    ) -> None:
        self.size = size
        self._make = make
        self._release = release
        self._log = log
        self.ready: list[S] = []
        self._changed = anyio.Event()
        self._used: MemoryObjectSendStream[S] | None = None  # while running

    @asynccontextmanager
    async def running(self) -> AsyncIterator[WarmPool[S]]:
        send, receive = anyio.create_memory_object_stream[S](USED_BACKLOG)
        self._used = send
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._refill)
                tg.start_soon(self._release_used, receive)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._used = None
            leftovers, self.ready = self.ready, []
            with contextlib.suppress(anyio.WouldBlock, anyio.EndOfStream):
                while True:
                    leftovers.append(receive.receive_nowait())
            send.close()
            receive.close()
            with anyio.CancelScope(shield=True):
                for sandbox in leftovers:
                    await self._release_logged(sandbox)

    async def take(self) -> S | None:
        """A ready sandbox, or None when none is left (the caller makes its own)."""
        while self.ready:
            sandbox = self.ready.pop(0)
            self._changed.set()
            if sandbox.alive():
                return sandbox
            self._log.warning("a warm sandbox died while waiting; taking another")
            await self.dispose(sandbox)
        return None

    async def dispose(self, sandbox: S) -> None:
        """Tear a used sandbox down in the background (at once when the backlog is full)."""
        if self._used is not None:
            try:
                self._used.send_nowait(sandbox)
                return
            except anyio.WouldBlock:  # a backlog: this run waits for its own teardown
                pass
        with anyio.CancelScope(shield=True):
            await self._release(sandbox)

    async def _refill(self) -> None:
        while True:
            while len(self.ready) < self.size:
                try:
                    sandbox = await self._make()
                except Exception:  # noqa: BLE001 (logged with its traceback; the pool tries again)
                    self._log.exception("could not make a warm sandbox; trying again shortly")
                    await anyio.sleep(REFILL_BACKOFF_SECONDS)
                    continue
                self.ready.append(sandbox)
            self._changed = anyio.Event()
            await self._changed.wait()

    async def _release_used(self, used: MemoryObjectReceiveStream[S]) -> None:
        async for sandbox in used:
            with anyio.CancelScope(shield=True):  # taken off the stream: nobody else releases it
                await self._release_logged(sandbox)

    async def _release_logged(self, sandbox: S) -> None:
        try:
            await self._release(sandbox)
        except Exception:  # noqa: BLE001 (logged; one teardown never ends the engine, sweeps find it)
            self._log.exception("could not tear a used sandbox down")
