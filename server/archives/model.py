"""A session's recording as it travels: plain data, read from storage or from an archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArchivedSession:
    id: str
    title: str
    language: str
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArchivedParticipant:
    id: str
    role: str
    display_name: str
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class ArchivedEvent:
    ts_ms: int
    kind: str
    author: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class ArchivedSeekPoint:
    """The document after the archive's event number ``upto_index`` (0-based), at ``ts_ms``."""

    upto_index: int
    ts_ms: int
    state: bytes


@dataclass(frozen=True, slots=True)
class Recording:
    session: ArchivedSession
    participants: list[ArchivedParticipant]
    events: list[ArchivedEvent]
    seek_points: list[ArchivedSeekPoint]
    #: The recorded audio/video files (WebM), by name: what the ``media.segment`` events name.
    media: dict[str, bytes] = field(default_factory=dict)
