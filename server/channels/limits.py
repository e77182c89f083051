"""Flow limits: token buckets for messages and bytes, per connection or per person."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` tokens per second, holding at most ``burst``; ``take`` fails when empty."""

    __slots__ = ("_clock", "_last", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def take(self, amount: float = 1.0) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < amount:
            return False
        self._tokens -= amount
        return True


class FrameBudget:
    """A connection's two allowances, messages and bytes, refilled together: one clock read per
    frame (this runs for every frame of every connection)."""

    __slots__ = (
        "_bytes",
        "_clock",
        "_last",
        "_messages",
        "byte_burst",
        "byte_rate",
        "message_burst",
        "message_rate",
    )

    def __init__(
        self,
        message_rate: float,
        message_burst: float,
        byte_rate: float,
        byte_burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.message_rate, self.message_burst = message_rate, message_burst
        self.byte_rate, self.byte_burst = byte_rate, byte_burst
        self._clock = clock
        self._messages = float(message_burst)
        self._bytes = float(byte_burst)
        self._last = clock()

    def take(self, size: int) -> bool:
        """Spend one message and ``size`` bytes; False (and nothing spent) when either runs out."""
        now = self._clock()
        elapsed = now - self._last
        self._last = now
        messages = min(self.message_burst, self._messages + elapsed * self.message_rate)
        volume = min(self.byte_burst, self._bytes + elapsed * self.byte_rate)
        if messages < 1 or volume < size:
            self._messages, self._bytes = messages, volume
            return False
        self._messages, self._bytes = messages - 1, volume - size
        return True
