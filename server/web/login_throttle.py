"""Brute-force protection for the login form: failures per (client address, email) in a window.

Kept in memory per node; with several nodes behind a load balancer each counts on its own,
which still caps an attacker at (nodes x limit) guesses per window.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from server.errors import RateLimited


class LoginThrottle:
    def __init__(
        self,
        *,
        max_failures: int = 5,
        window_seconds: float = 300.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window_seconds
        self._max_keys = max_keys
        self._clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def check(self, client: str, email: str) -> None:
        """Raise RateLimited while this (client, email) has too many recent failures."""
        recent = self._recent((client, email.strip().lower()))
        if len(recent) >= self._max:
            retry = int(recent[0] + self._window - self._clock()) + 1
            raise RateLimited(
                "too many failed sign-in attempts; try again later", details={"retry_after_seconds": retry}
            )

    def failed(self, client: str, email: str) -> None:
        key = (client, email.strip().lower())
        if key not in self._failures and len(self._failures) >= self._max_keys:
            self._evict()
        self._recent(key).append(self._clock())

    def succeeded(self, client: str, email: str) -> None:
        self._failures.pop((client, email.strip().lower()), None)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        stamps = self._failures.setdefault(key, deque())
        horizon = self._clock() - self._window
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return stamps

    def _evict(self) -> None:
        horizon = self._clock() - self._window
        for key in [k for k, v in self._failures.items() if not v or v[-1] <= horizon]:
            del self._failures[key]
        if len(self._failures) >= self._max_keys:  # still full of fresh entries: drop the oldest
            oldest = min(self._failures, key=lambda k: self._failures[k][-1])
            del self._failures[oldest]
