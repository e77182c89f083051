"""SQLAlchemy implementation of ``server.recording.log.RecordingLog``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, update

from server.recording.events import Event, EventKind, NewEvent, Snapshot
from server.store.database import Database
from server.store.recording_tables import SPARSE_KINDS, DocSnapshotRow, SessionEventRow


class SqlRecordingLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def append(self, events: Sequence[NewEvent]) -> list[int]:
        """One statement, one commit, straight through the driver: this runs for every batch of
        keystrokes of every session, and SQLAlchemy's statement machinery costs several times
        the insert itself (docs/sync.md, "Durability")."""
        if not events:
            return []
        async with self._db.writer_connection() as driver:
            if self._db.is_sqlite:
                return await _insert_sqlite(driver, events)
            return await _insert_postgres(driver, events)

    async def read(
        self,
        session_id: str,
        *,
        after_id: int = 0,
        kinds: Sequence[str] | None = None,
        limit: int = 10_000,
    ) -> Sequence[Event]:
        """Through the driver (``Database.fetch``): every room a node loads reads here."""
        sql = f"SELECT {_EVENT_COLUMNS} FROM session_events WHERE session_id = ? AND id > ?"
        parameters: list[Any] = [session_id, after_id]
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            parameters += kinds
        rows = await self._db.fetch(sql + " ORDER BY id LIMIT ?", [*parameters, limit])
        return [Event(*row) for row in rows]

    async def read_latest(self, session_id: str, *, kinds: Sequence[str], limit: int) -> Sequence[Event]:
        """Through the driver: every console that opens reads its history here."""
        sql = (
            f"SELECT {_EVENT_COLUMNS} FROM session_events"
            f" WHERE session_id = ? AND kind IN ({','.join('?' * len(kinds))})"
        )
        if not {EventKind.DOC_UPDATE, EventKind.AWARENESS} & set(kinds):
            # the partial index's own condition, spelled out so both databases choose it
            sql += f" AND {SPARSE_KINDS}"
        rows = await self._db.fetch(sql + " ORDER BY id DESC LIMIT ?", [session_id, *kinds, limit])
        return [Event(*row) for row in reversed(rows)]

    async def latest_snapshot(self, session_id: str) -> Snapshot | None:
        """Through the driver: every room a node loads reads here."""
        rows = await self._db.fetch(
            "SELECT session_id, upto_id, state FROM doc_snapshots WHERE session_id = ?", [session_id]
        )
        return Snapshot(*rows[0]) if rows else None

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


#: In the order of ``Event``'s fields.
_EVENT_COLUMNS = "id, session_id, ts_ms, kind, author, data"
_COLUMNS = "session_id, ts_ms, kind, author, data"
_POSTGRES_INSERT = (
    f"INSERT INTO session_events ({_COLUMNS}) "
    "SELECT s, t, k, a, d FROM unnest($1::varchar[], $2::bigint[], $3::varchar[], $4::varchar[], $5::bytea[])"
    " WITH ORDINALITY AS u(s, t, k, a, d, n) ORDER BY n RETURNING id"
)


async def _insert_sqlite(driver: Any, events: Sequence[NewEvent]) -> list[int]:
    """aiosqlite: a multi-row INSERT ... RETURNING, then COMMIT (two trips to its thread)."""
    values = ",".join(["(?,?,?,?,?)"] * len(events))
    parameters = [x for e in events for x in (e.session_id, e.ts_ms, e.kind, e.author, e.data)]
    rows = await driver.execute_fetchall(
        f"INSERT INTO session_events ({_COLUMNS}) VALUES {values} RETURNING id", parameters
    )
    await driver.commit()
    # ids grow in insertion order within one statement; RETURNING's own order is unspecified
    return sorted(row[0] for row in rows)


async def _insert_postgres(driver: Any, events: Sequence[NewEvent]) -> list[int]:
    """asyncpg: one INSERT ... SELECT FROM unnest(arrays), atomic by itself (autocommit)."""
    rows = await driver.fetch(
        _POSTGRES_INSERT,
        [e.session_id for e in events],
        [e.ts_ms for e in events],
        [e.kind for e in events],
        [e.author for e in events],
        [e.data for e in events],
    )
    return sorted(row[0] for row in rows)
