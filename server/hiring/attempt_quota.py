"""What one attempt may ask of a node: sample runs (sandbox time) and saves (database writes),
each a sliding window per attempt, and one sample run at a time. Past it: 429, nothing done."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from server.errors import RateLimited

#: Sample runs an attempt may start a minute.
RUNS_PER_MINUTE = 10
#: Saves an attempt may make a minute (the page saves 0.6 s after the last keystroke).
SAVES_PER_MINUTE = 240
#: Attempts remembered per node (the least recently seen are forgotten first).
MAX_TRACKED = 10_000


class AttemptQuota:
    def __init__(
        self,
        *,
        runs_per_minute: int = RUNS_PER_MINUTE,
        saves_per_minute: int = SAVES_PER_MINUTE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limits = {"run": runs_per_minute, "save": saves_per_minute}
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._running: set[str] = set()

    def take(self, kind: str, attempt_id: str) -> None:
        now = self._clock()
        key = (kind, attempt_id)
        window = self._seen.pop(key, None) or deque()
        while window and now - window[0] >= 60:
            window.popleft()
        self._seen[key] = window
        while len(self._seen) > MAX_TRACKED:
            self._seen.popitem(last=False)
        if len(window) >= self._limits[kind]:
            what = "sample runs" if kind == "run" else "saves"
            raise RateLimited(f"too many {what} in a minute; wait a moment", details={"reason": kind})
        window.append(now)

    @contextmanager
    def one_run(self, attempt_id: str) -> Iterator[None]:
        """One sample run at a time per attempt, and at most ``runs_per_minute``."""
        if attempt_id in self._running:
            raise RateLimited("a sample run is already running", details={"reason": "run"})
        self.take("run", attempt_id)
        self._running.add(attempt_id)
        try:
            yield
        finally:
            self._running.discard(attempt_id)
