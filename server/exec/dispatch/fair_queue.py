"""Concurrency slots shared fairly between sessions.

At most ``slots`` runs at once per node. Waiting runs are served round-robin across sessions (one
session queueing twenty runs does not starve the next session's one run), and every waiter is told
its position whenever it changes.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

PositionCallback = Callable[[int], None]


@dataclass(eq=False)
class _Waiter:
    key: str
    on_position: PositionCallback | None
    ready: anyio.Event = field(default_factory=anyio.Event)
    position: int = -1


class FairQueue:
    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("at least one slot")
        self.slots = slots
        self.running = 0
        self._waiting: OrderedDict[str, deque[_Waiter]] = OrderedDict()

    @property
    def waiting(self) -> int:
        return sum(len(q) for q in self._waiting.values())

    @asynccontextmanager
    async def slot(self, key: str, on_position: PositionCallback | None = None) -> AsyncIterator[None]:
        """Hold one of the slots for the body; ``key`` is the fairness group (the session)."""
        if self.running < self.slots and not self._waiting:
            self.running += 1
        else:
            waiter = _Waiter(key, on_position)
            self._waiting.setdefault(key, deque()).append(waiter)
            self._announce()
            try:
                await waiter.ready.wait()
            except BaseException:
                if waiter.ready.is_set():  # it got the slot as it was cancelled: hand it on
                    self._release()
                else:
                    self._forget(waiter)
                raise
        try:
            yield
        finally:
            self._release()

    def _order(self) -> list[_Waiter]:
        """The order waiters will be served in: round-robin over sessions."""
        queues = [list(q) for q in self._waiting.values()]
        order: list[_Waiter] = []
        depth = 0
        while any(depth < len(q) for q in queues):
            order += [q[depth] for q in queues if depth < len(q)]
            depth += 1
        return order

    def _announce(self) -> None:
        for position, waiter in enumerate(self._order(), start=1):
            if waiter.position != position:
                waiter.position = position
                if waiter.on_position is not None:
                    waiter.on_position(position)

    def _release(self) -> None:
        if not self._waiting:
            self.running -= 1
            return
        key, queue = next(iter(self._waiting.items()))
        waiter = queue.popleft()
        del self._waiting[key]
        if queue:
            self._waiting[key] = queue  # the session goes to the back of the rotation
        waiter.ready.set()  # the slot passes straight to it: running stays the same
        self._announce()

    def _forget(self, waiter: _Waiter) -> None:
        queue = self._waiting.get(waiter.key)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._waiting[waiter.key]
        self._announce()
