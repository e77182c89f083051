"""Look-ups by key that arrive while one is in flight share the next query.

A node whose clients all reconnect at once (a restart, a network blip) checks a thousand pad tokens
in the same second; one query per token, each with its own pooled connection and its own trips
to the database driver's thread, cost milliseconds of the event loop apiece. ``BatchedLookup``
turns them into a few queries, the way the event writer groups commits:

- a look-up with nothing in flight runs its query at once (an idle node adds no delay);
- look-ups that arrive while a query runs wait; when it ends, the first of them runs one query
  for every key queued by then (up to ``max_keys``), and hands the turn on when it is done.

Every caller is answered by a query that started after it asked: no answer is kept, and none read
before the caller's call is handed out, so a revocation committed before a token is checked is
always seen. A caller cancelled while it runs the query hands its batch's other keys to the next
one; a query that fails fails every look-up of its batch (they would all have met the same
error).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Generic, TypeVar

import anyio

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Keys per query: far below every database's limit on bound parameters.
MAX_KEYS = 500


class _Waiter(Generic[K, V]):
    __slots__ = ("done", "error", "key", "lead", "ready", "value")

    def __init__(self, key: K) -> None:
        self.key = key
        self.ready = anyio.Event()
        self.lead = False  # told to run the next query
        self.done = False
        self.value: V | None = None
        self.error: BaseException | None = None

    def answer(self) -> V | None:
        if self.error is not None:
            raise self.error
        return self.value


class BatchedLookup(Generic[K, V]):
    def __init__(
        self, fetch: Callable[[list[K]], Awaitable[Mapping[K, V]]], *, max_keys: int = MAX_KEYS
    ) -> None:
        """``fetch``: every found key's value (a key that is not in the answer has none)."""
        self._fetch = fetch
        self._max_keys = max_keys
        self._queue: deque[_Waiter[K, V]] = deque()
        self._busy = False  # a query runs, or a waiter has been told to run the next one

    async def get(self, key: K) -> V | None:
        waiter: _Waiter[K, V] = _Waiter(key)
        self._queue.append(waiter)
        if self._busy:
            try:
                await waiter.ready.wait()
            except BaseException:  # cancelled while waiting: out of the queue, and of the turn
                if waiter in self._queue:
                    self._queue.remove(waiter)
                if waiter.lead:
                    self._hand_over()
                raise
            if waiter.done:
                return waiter.answer()
        self._busy = True
        try:
            await self._run(waiter)
        finally:
            self._hand_over()
        assert waiter.done, "a look-up's turn came with its key outside the batch"
        return waiter.answer()

    async def _run(self, own: _Waiter[K, V]) -> None:
        """One query for the keys at the head of the queue (``own``, the caller's, is the first)."""
        batch = [self._queue.popleft() for _ in range(min(len(self._queue), self._max_keys))]
        try:
            found = await self._fetch(list(dict.fromkeys(w.key for w in batch)))
        except anyio.get_cancelled_exc_class():
            # the others still want their answer: back to the front, for the next turn
            self._queue.extendleft(reversed([w for w in batch if w is not own]))
            raise
        except Exception as exc:  # every look-up of the batch fails with it, this one too
            for w in batch:
                w.error = exc
                self._settle(w)
            raise
        for w in batch:
            w.value = found.get(w.key)
            self._settle(w)

    @staticmethod
    def _settle(waiter: _Waiter[K, V]) -> None:
        waiter.done = True
        waiter.ready.set()

    def _hand_over(self) -> None:
        if self._queue:
            head = self._queue[0]
            head.lead = True
            head.ready.set()
        else:
            self._busy = False
