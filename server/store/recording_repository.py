"""SQLAlchemy implementation of ``server.recording.log.RecordingLog``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, delete, insert, select, update

from server.recording.events import Event, NewEvent, Snapshot
from server.store.database import Database
from server.store.recording_tables import DocSnapshotRow, SessionEventRow


class SqlRecordingLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        if not events:
            return []
        rows = [
            {"session_id": e.session_id, "ts_ms": e.ts_ms, "kind": e.kind, "author": e.author, "data": e.data}
            for e in events
        ]
        table = cast(Table, SessionEventRow.__table__)
        # a Core insert on the table: the ORM's bulk path costs several times more per row, and this
        # runs for every keystroke of every session
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        async with self._db.transaction() as tx:
            result = await tx.execute(statement, rows)
            return [row[0] for row in result.all()]

    async def read(
        self,
        session_id: str,
        *,
        after_id: int = 0,
        kinds: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> Sequence[Event]:
        stmt = select(SessionEventRow).where(
            SessionEventRow.session_id == session_id, SessionEventRow.id > after_id
        )
        if kinds:
            stmt = stmt.where(SessionEventRow.kind.in_(list(kinds)))
        stmt = stmt.order_by(SessionEventRow.id).limit(limit)
        async with self._db.session() as tx:
            return [
                Event(
                    id=r.id, session_id=r.session_id, ts_ms=r.ts_ms, kind=r.kind, author=r.author, data=r.data
                )
                for r in (await tx.execute(stmt)).scalars()
            ]

    async def latest_snapshot(self, session_id: str) -> Snapshot | None:
        async with self._db.session() as tx:
            row = await tx.get(DocSnapshotRow, session_id)
            return Snapshot(row.session_id, row.upto_id, row.state) if row else None

    async def save_snapshot(self, snapshot: Snapshot) -> None:
        async with self._db.transaction() as tx:
            row = await tx.get(DocSnapshotRow, snapshot.session_id, with_for_update=True)
            if row is None:
                tx.add(
                    DocSnapshotRow(
                        session_id=snapshot.session_id, upto_id=snapshot.upto_id, state=snapshot.state
                    )
                )
            elif row.upto_id < snapshot.upto_id:
                await tx.execute(
                    update(DocSnapshotRow)
                    .where(DocSnapshotRow.session_id == snapshot.session_id)
                    .values(upto_id=snapshot.upto_id, state=snapshot.state)
                )

    async def delete_session(self, session_id: str) -> int:
        async with self._db.transaction() as tx:
            await tx.execute(delete(DocSnapshotRow).where(DocSnapshotRow.session_id == session_id))
            result = await tx.execute(delete(SessionEventRow).where(SessionEventRow.session_id == session_id))
            return int(getattr(result, "rowcount", 0) or 0)
