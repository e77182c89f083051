"""What one session may add to its recording, beyond document updates, per minute.

Chat, cursor moves, run output and terminal output all land in the session's event log, and
one participant could otherwise grow it by tens of megabytes a minute (a chat flood, ``yes``
in the terminal). Each session gets a byte allowance that refills continuously up to a
minute's worth. Callers that can drop (cursor recording) or refuse (chat) use ``try_take``;
output waits in ``take``, which slows the program down instead of losing what it printed, so
what is recorded stays exactly what participants saw. Document updates never count: they are
bounded by the document's own size cap, and nothing acknowledged may be lost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

#: Buckets of sessions that have gone quiet are forgotten once this many are kept.
PURGE_ABOVE = 1024


class RecordingBudget:
    def __init__(self, bytes_per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = float(bytes_per_minute)
        self.rate = bytes_per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # session -> (bytes left, at)

    def _level(self, session_id: str, now: float) -> float:
        left, at = self._buckets.get(session_id, (self.burst, now))
        return min(self.burst, left + (now - at) * self.rate)

    def try_take(self, session_id: str, size: int) -> bool:
        """Spend ``size`` bytes of the session's allowance now, or nothing and False."""
        now = self._clock()
        level = self._level(session_id, now)
        if level < size:
            self._buckets[session_id] = (level, now)
            return False
        self._buckets[session_id] = (level - size, now)
        self._purge(now)
        return True

    async def take(self, session_id: str, size: int) -> None:
        """Spend ``size`` bytes, waiting until the allowance has them (a size over the whole
        allowance waits for a full one)."""
        size = min(size, int(self.burst))
        while True:
            now = self._clock()
            level = self._level(session_id, now)
            if level >= size:
                self._buckets[session_id] = (level - size, now)
                return
            self._buckets[session_id] = (level, now)
            await anyio.sleep((size - level) / self.rate)

    def _purge(self, now: float) -> None:
        if len(self._buckets) > PURGE_ABOVE:
            for session_id in [s for s in self._buckets if self._level(s, now) >= self.burst]:
                del self._buckets[session_id]
