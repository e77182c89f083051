"""Playback's seek points over the event log (server/playback builds and reads them; the store
keeps them in ``recording_snapshots``)."""

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
