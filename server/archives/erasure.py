"""Deleting a finished session's recording (the GDPR erasure): who may, and what is recorded.

Everything the session recorded goes (events, document snapshots, seek snapshots, scorecards)
in one transaction that also writes the audit record naming who did it, when, and how much went;
then its recorded audio and video files.
The session itself, its participants and the audit record stay: the dashboard still lists the
session, and its pad and playback say the recording was deleted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import anyio

from server.accounts.models import OrgRole, Principal
from server.audit.models import AuditAction, AuditRecord, record
from server.errors import Conflict, Forbidden
from server.sessions.lifecycle import SessionState
from server.sessions.models import Session

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordingEraserStore(Protocol):
    async def erase(self, session_id: str, record: AuditRecord) -> AuditRecord:
        """Delete the recording and add ``record`` (with the counts) in one transaction."""
        ...


def require_erasable(principal: Principal, session: Session) -> None:
    if principal.role is not OrgRole.ADMIN:
        raise Forbidden("only admins delete recordings")
    if session.state is not SessionState.ENDED:
        raise Conflict(
            "end the session before deleting its recording", details={"state": session.state.value}
        )


class MediaEraser(Protocol):
    def erase(self, session_id: str) -> int:
        """Delete the session's recorded media files; how many there were."""
        ...


class RecordingEraser:
    def __init__(
        self, store: RecordingEraserStore, *, clock: Clock = utcnow, media: MediaEraser | None = None
    ) -> None:
        self._store = store
        self._clock = clock
        self._media = media

    async def erase(self, principal: Principal, session: Session) -> AuditRecord:
        require_erasable(principal, session)
        planned = record(
            principal, AuditAction.RECORDING_DELETED, session.id, self._clock(), title=session.title
        )
        erased = await self._store.erase(session.id, planned)
        if self._media is not None:
            await anyio.to_thread.run_sync(self._media.erase, session.id)
        return erased
