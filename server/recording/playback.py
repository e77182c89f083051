"""What playback reads back from storage (server/playback; the store implements it): seek points,
kept in ``recording_snapshots``, and the event log counted per stretch of time."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SeekPoint:
    """The document after every ``doc.update`` event with ``id <= upto_id`` (one Yjs v1 update);
    ``ts_ms`` is the latest time among those events, so the point is part of the state at any
    ``t >= ts_ms``."""

    session_id: str
    upto_id: int
    ts_ms: int
    state: bytes
    #: The files' text at the point, and the text edits of the updates since the previous point
    #: (server/playback/text_index.py); None on points stored without them (imported).
    text: bytes | None = None
    edits: bytes | None = None


@dataclass(frozen=True, slots=True)
class Bucket:
    """A session's events in one ``bucket_ms`` of session time."""

    index: int  # ts_ms // bucket_ms
    events: int
    updates: int  # doc.update events
    cursor_moves: int  # awareness events
    first_ms: int
    last_ms: int
