"""What playback needs from storage: the event log read by windows of ids and times, and the
seek points (``server.store.playback_repository`` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.recording.events import Event
from server.recording.playback import Bucket, SeekPoint


class PlaybackStore(Protocol):
    async def last_point(self, session_id: str) -> SeekPoint | None:
        """The seek point covering the most events."""
        ...

    async def point_at(self, session_id: str, ts_ms: int) -> SeekPoint | None:
        """The seek point covering the most events among those with ``ts_ms <= ts_ms``."""
        ...

    async def id_at(self, session_id: str, ts_ms: int) -> int:
        """``upto_id`` of ``point_at`` (0 when there is none), without its state."""
        ...

    async def id_after(self, session_id: str, ts_ms: int) -> int | None:
        """The smallest ``upto_id`` of a point with ``ts_ms > ts_ms`` (None: no such point)."""
        ...

    async def edits_after(
        self, session_id: str, after_id: int, upto_id: int | None
    ) -> Sequence[bytes | None]:
        """The ``edits`` of the points with ``after_id < upto_id <= upto_id`` (None: no bound), in
        order (server/playback/text_index.py)."""
        ...

    async def save_points(self, points: Sequence[SeekPoint]) -> None:
        """Keep ``points``; a point already stored (same session and ``upto_id``) stays as it is."""
        ...

    async def window(
        self,
        session_id: str,
        *,
        kinds: Sequence[str] | None,
        after_id: int,
        upto_id: int | None = None,
        ts_from: int | None = None,
        ts_to: int | None = None,
        limit: int,
        newest_first: bool = False,
    ) -> Sequence[Event]:
        """Events with ``after_id < id <= upto_id`` and ``ts_from <= ts_ms <= ts_to`` (a bound left
        out is open), of ``kinds`` (None: all), by id (``newest_first``: the last ``limit``,
        newest first)."""
        ...

    async def activity(self, session_id: str, *, bucket_ms: int) -> Sequence[Bucket]:
        """The session's events counted per ``bucket_ms`` of session time (buckets holding
        none are left out), in time order: one pass over the session's events."""
        ...
