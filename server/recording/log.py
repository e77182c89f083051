"""What the event log needs from storage (``server.store.recording_repository`` implements it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from server.recording.events import Event, NewEvent, Snapshot


class RecordingLog(Protocol):
    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        """Store ``events`` in ONE transaction; returns their ids, in order."""
        ...

    async def read(
        self,
        session_id: str,
        *,
        after_id: int = 0,
        kinds: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> Sequence[Event]: ...

    async def read_latest(self, session_id: str, *, kinds: Sequence[str], limit: int) -> Sequence[Event]:
        """The session's last ``limit`` events of ``kinds``, oldest first (read newest first, so
        a long log costs no more than a short one)."""
        ...

    async def latest_snapshot(self, session_id: str) -> Snapshot | None: ...

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` unless a snapshot covering more events exists already."""
        ...

    async def delete_session(self, session_id: str) -> int:
        """Remove every event and snapshot of a session; returns how many events went."""
        ...
