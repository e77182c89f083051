"""What exporting and importing recordings reads and writes (``server.archives.service.ArchiveStore``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert, select

from server.audit.models import AuditRecord
from server.recording.events import Event, NewEvent
from server.sessions.models import Participant, Session
from server.store.audit_repository import add_record
from server.store.database import Database
from server.store.recording_repository import SqlRecordingLog
from server.store.recording_tables import DocSnapshotRow, RecordingSnapshotRow, SessionEventRow
from server.store.session_repository import session_row
from server.store.tables import ParticipantRow

#: Events inserted per statement when importing.
_INSERT_BATCH = 2_000


class SqlArchiveStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._log = SqlRecordingLog(db)

    async def read_events(self, session_id: str, *, after_id: int, limit: int) -> Sequence[Event]:
        return await self._log.read(session_id, after_id=after_id, limit=limit)

    async def seek_snapshots(self, session_id: str) -> Sequence[tuple[int, int, bytes]]:
        query = (
            select(RecordingSnapshotRow.upto_id, RecordingSnapshotRow.ts_ms, RecordingSnapshotRow.state)
            .where(RecordingSnapshotRow.session_id == session_id)
            .order_by(RecordingSnapshotRow.upto_id)
        )
        async with self._db.session() as s:
            return [(int(upto), int(ts), bytes(state)) for upto, ts, state in (await s.execute(query)).all()]

    async def import_session(
        self,
        session: Session,
        participants: Sequence[Participant],
        events: Sequence[NewEvent],
        seek_points: Sequence[tuple[int, int, bytes]],
        doc_state: bytes | None,
        record: AuditRecord,
    ) -> None:
        async with self._db.transaction() as tx:
            tx.add(session_row(session))
            await tx.flush()
            tx.add_all(
                [
                    ParticipantRow(
                        id=p.id,
                        session_id=p.session_id,
                        role=p.role.value,
                        display_name=p.display_name,
                        nonce=p.nonce,
                        token_hash=p.token_hash,
                        joined_at=p.joined_at,
                    )
                    for p in participants
                ]
            )
            await tx.flush()
            ids: list[int] = []
            for start in range(0, len(events), _INSERT_BATCH):
                batch = events[start : start + _INSERT_BATCH]
                rows = [
                    {
                        "session_id": e.session_id,
                        "ts_ms": e.ts_ms,
                        "kind": e.kind,
                        "author": e.author,
                        "data": e.data,
                    }
                    for e in batch
                ]
                statement = insert(SessionEventRow).returning(
                    SessionEventRow.id, sort_by_parameter_order=True
                )
                ids.extend((await tx.scalars(statement, rows)).all())
            if doc_state is not None and ids:
                tx.add(DocSnapshotRow(session_id=session.id, upto_id=ids[-1], state=doc_state))
            tx.add_all(
                [
                    RecordingSnapshotRow(session_id=session.id, upto_id=ids[index], ts_ms=ts_ms, state=state)
                    for index, ts_ms, state in seek_points
                ]
            )
            add_record(tx, record)
