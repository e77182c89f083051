"""The session event log's data: one append-only stream of events per session, on the server clock."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """What an event records. Payloads: bytes for CRDT data, UTF-8 JSON for everything else."""

    DOC_UPDATE = "doc.update"  # a Yjs v1 update, as accepted from a participant
    AWARENESS = "awareness"  # a participant's cursor/selection state (throttled), JSON
    JOIN = "join"  # {"participant_id", "name", "role"}
    LEAVE = "leave"  # {"participant_id"}
    SESSION_ENDED = "session.ended"
    # what a document update did to the files (derived by the node that accepted it), JSON
    FILE_CREATED = "file.created"  # {"path", "language"}
    FILE_DELETED = "file.deleted"  # {"path"}
    FILE_RENAMED = "file.renamed"  # {"from", "to"}
    FILE_LANGUAGE = "file.language"  # {"path", "language"}
    # one recorded audio or video file (server/media/recorder.py), written when it is finished:
    # {"participant_id", "stream", "kind", "file", "codec", "start_ms", "end_ms", "frames",
    # "bytes", "truncated"}; start_ms/end_ms on this clock
    MEDIA_SEGMENT = "media.segment"


def now_ms() -> int:
    """The one clock every event is stamped with: server wall time in milliseconds."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class NewEvent:
    session_id: str
    kind: str
    data: bytes
    author: str | None = None
    ts_ms: int = 0

    def stamped(self) -> NewEvent:
        return self if self.ts_ms else NewEvent(self.session_id, self.kind, self.data, self.author, now_ms())


@dataclass(frozen=True, slots=True)
class Event:
    """A stored event. ``id`` orders events (globally increasing, assigned at commit)."""

    id: int
    session_id: str
    ts_ms: int
    kind: str
    author: str | None
    data: bytes


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The merged document state covering every event with ``id <= upto_id``."""

    session_id: str
    upto_id: int
    state: bytes
