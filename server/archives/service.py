"""ArchiveService: export a finished session's recording as an archive; import one as a new
ended session of the caller's organization."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
from pycrdt import Doc

from server import tokens
from server.accounts.models import Principal
from server.accounts.permissions import can_create_sessions, require
from server.archives.codec import DOC_UPDATE, read_archive, write_archive
from server.archives.model import (
    ArchivedEvent,
    ArchivedParticipant,
    ArchivedSeekPoint,
    ArchivedSession,
    Recording,
)
from server.archives.yjs import apply_checked
from server.audit.models import AuditAction, AuditRecord, record
from server.errors import Conflict, InvalidInput, PayloadTooLarge
from server.recording.events import Event, NewEvent
from server.sessions.languages import is_known
from server.sessions.lifecycle import SessionState
from server.sessions.models import Participant, Session
from server.sessions.roles import Role
from server.sessions.service import normalize_title

Clock = Callable[[], datetime]

#: Reads of the log while exporting, in pages of this many events.
PAGE = 5_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class ArchiveStore(Protocol):
    async def read_events(self, session_id: str, *, after_id: int, limit: int) -> Sequence[Event]: ...

    async def seek_snapshots(self, session_id: str) -> Sequence[tuple[int, int, bytes]]:
        """(upto_id, ts_ms, state) of each seek snapshot, in order."""
        ...

    async def import_session(
        self,
        session: Session,
        participants: Sequence[Participant],
        events: Sequence[NewEvent],
        seek_points: Sequence[tuple[int, int, bytes]],
        doc_state: bytes | None,
        record: AuditRecord,
    ) -> None:
        """Store it all in ONE transaction: the session, its participants, its events (new ids,
        in order), a seek snapshot per (index into ``events``, ts_ms, state), the document
        snapshot covering every event, and ``record``."""
        ...


class MediaFiles(Protocol):
    """The recorded audio/video files of sessions (``server.media.files.MediaDirectory``)."""

    def read(self, session_id: str) -> dict[str, bytes]: ...

    def write(self, session_id: str, files: dict[str, bytes]) -> None: ...

    def erase(self, session_id: str) -> int: ...


def _require_archivist(principal: Principal) -> None:
    require(can_create_sessions(principal.role), "export or import recordings")


class ArchiveService:
    def __init__(
        self,
        store: ArchiveStore,
        *,
        max_document_bytes: int,
        clock: Clock = utcnow,
        media: MediaFiles | None = None,
    ) -> None:
        self._store = store
        self._media = media
        self._max_document_bytes = max_document_bytes
        self._clock = clock

    # ---- export --------------------------------------------------------------------------------

    async def export(
        self, principal: Principal, session: Session, participants: Sequence[Participant]
    ) -> bytes:
        _require_archivist(principal)
        if session.state is not SessionState.ENDED:
            raise Conflict(
                "end the session before exporting its recording", details={"state": session.state.value}
            )
        events: list[Event] = []
        while True:
            page = await self._store.read_events(
                session.id, after_id=events[-1].id if events else 0, limit=PAGE
            )
            events.extend(page)
            if len(page) < PAGE:
                break
        position = {event.id: index for index, event in enumerate(events)}
        seek_points = []
        for upto_id, ts_ms, state in await self._store.seek_snapshots(session.id):
            covered = [i for event_id, i in position.items() if event_id <= upto_id]
            if covered:
                seek_points.append(ArchivedSeekPoint(max(covered), ts_ms, state))
        recording = Recording(
            session=ArchivedSession(
                session.id,
                session.title,
                session.language,
                session.created_at,
                session.started_at,
                session.ended_at,
            ),
            participants=[
                ArchivedParticipant(p.id, p.role.value, p.display_name, p.joined_at) for p in participants
            ],
            events=[ArchivedEvent(e.ts_ms, e.kind, e.author, e.data) for e in events],
            seek_points=seek_points,
            media=await anyio.to_thread.run_sync(self._media.read, session.id) if self._media else {},
        )
        return write_archive(recording, self._clock())

    # ---- import --------------------------------------------------------------------------------

    async def import_archive(self, principal: Principal, data: bytes) -> Session:
        """A new ended session in the caller's organization holding the archive's recording:
        the same participants and events under fresh ids (no participant token works), the
        document rebuilt from the updates. Nothing is stored unless all of it checks out."""
        _require_archivist(principal)
        recording = read_archive(data)
        now = self._clock()
        source = recording.session
        if not is_known(source.language):
            raise InvalidInput(f"unknown language {source.language!r}", details={"field": "session.language"})
        session = Session(
            id=tokens.new_id(),
            org_id=principal.org_id,
            title=normalize_title(source.title),
            language=source.language,
            state=SessionState.ENDED,
            created_by=principal.user.id,
            created_at=source.created_at,
            started_at=source.started_at,
            ended_at=source.ended_at or now,
        )
        fresh = {p.id: tokens.new_id() for p in recording.participants}
        participants = [self._participant(session.id, p, fresh[p.id]) for p in recording.participants]
        events = [self._event(session.id, e, fresh) for e in recording.events]
        doc_state = self._document(recording.events)
        seek_points = [
            (p.upto_index, p.ts_ms, self._checked_state(p, n)) for n, p in enumerate(recording.seek_points)
        ]
        audit = record(
            principal,
            AuditAction.SESSION_IMPORTED,
            session.id,
            now,
            title=session.title,
            source_session_id=source.id,
            events=len(events),
            participants=len(participants),
        )
        await self._store.import_session(session, participants, events, seek_points, doc_state, audit)
        if self._media is not None and recording.media:
            await anyio.to_thread.run_sync(self._media.write, session.id, recording.media)
        return session

    @staticmethod
    def _participant(session_id: str, source: ArchivedParticipant, new_id: str) -> Participant:
        try:
            role = Role(source.role)
        except ValueError:
            raise InvalidInput(
                f"unknown role {source.role!r}", details={"field": "participants.role"}
            ) from None
        return Participant(
            id=new_id,
            session_id=session_id,
            role=role,
            display_name=source.display_name,
            nonce=tokens.new_nonce(),
            # the digest of a token nobody ever holds: no participant token opens an imported session
            token_hash=tokens.digest(tokens.new_secret_token()),
            joined_at=source.joined_at,
        )

    @staticmethod
    def _event(session_id: str, source: ArchivedEvent, fresh: dict[str, str]) -> NewEvent:
        author = fresh[source.author] if source.author is not None else None
        return NewEvent(session_id, source.kind, _remap_payload(source, fresh), author, source.ts_ms)

    def _document(self, events: Sequence[ArchivedEvent]) -> bytes | None:
        doc: Doc[Any] = Doc()
        size, applied = 0, 0
        for n, event in enumerate(events):
            if event.kind != DOC_UPDATE:
                continue
            size += len(event.data)
            if size > self._max_document_bytes:
                raise PayloadTooLarge("the archive's document is larger than this server allows")
            apply_checked(doc, event.data, f"event {n + 1}")
            applied += 1
        return doc.get_update() if applied else None

    def _checked_state(self, point: ArchivedSeekPoint, n: int) -> bytes:
        if len(point.state) > self._max_document_bytes:
            raise PayloadTooLarge("a seek snapshot is larger than this server allows")
        apply_checked(Doc(), point.state, f"seek snapshot {n + 1}")
        return point.state


def _remap_payload(event: ArchivedEvent, fresh: dict[str, str]) -> bytes:
    """JSON payloads name participants by id (join, leave, chat...): the top-level values that
    are an archived participant's id become the new id; anything else stays byte for byte."""
    if event.kind == DOC_UPDATE:
        return event.data
    try:
        value = json.loads(event.data)
    except (ValueError, UnicodeDecodeError):
        return event.data
    if not isinstance(value, dict) or not any(isinstance(v, str) and v in fresh for v in value.values()):
        return event.data
    remapped = {k: fresh[v] if isinstance(v, str) and v in fresh else v for k, v in value.items()}
    return json.dumps(remapped, separators=(",", ":")).encode()
