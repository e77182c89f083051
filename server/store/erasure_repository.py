"""Deleting a session's recording for good, with its audit record, in one transaction."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.audit.models import AuditRecord
from server.store.audit_repository import add_record
from server.store.database import Database
from server.store.recording_tables import DocSnapshotRow, RecordingSnapshotRow, SessionEventRow
from server.store.review_tables import ScorecardRow

#: What goes, under the name each count has in the audit record.
_TABLES: dict[str, InstrumentedAttribute[str]] = {
    "events": SessionEventRow.session_id,
    "doc_snapshots": DocSnapshotRow.session_id,
    "seek_snapshots": RecordingSnapshotRow.session_id,
    "scorecards": ScorecardRow.session_id,
}


async def _delete_counted(tx: AsyncSession, session_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, column in _TABLES.items():
        result = await tx.execute(delete(column.class_).where(column == session_id))
        counts[name] = int(getattr(result, "rowcount", 0) or 0)
    return counts


class SqlRecordingEraser:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def erase(self, session_id: str, record: AuditRecord) -> AuditRecord:
        """Delete every event, document snapshot, seek snapshot and scorecard of the session and
        add ``record`` (with the counts of what went in its details), all in one transaction."""
        async with self._db.transaction() as tx:
            counts = await _delete_counted(tx, session_id)
            done = replace(record, details={**record.details, **counts})
            add_record(tx, done)
        return done
