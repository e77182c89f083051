"""SQL implementation of ``server.playback.store.PlaybackStore``: windows of the event log, seek
points. Reads go straight through the driver (``Database.fetch``), as the rooms' do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import text

from server.recording.events import Event, EventKind
from server.recording.playback import Bucket, SeekPoint
from server.store.database import Database
from server.store.recording_tables import SPARSE_KINDS

_EVENT_COLUMNS = "id, session_id, ts_ms, kind, author, data"
_DENSE = {EventKind.DOC_UPDATE.value, EventKind.AWARENESS.value}
_POINT_COLUMNS = "session_id, upto_id, ts_ms, state, files_text, edits"
_INSERT_POINT = text(
    f"INSERT INTO recording_snapshots ({_POINT_COLUMNS})"
    " VALUES (:session_id, :upto_id, :ts_ms, :state, :files_text, :edits)"
    " ON CONFLICT (session_id, upto_id) DO NOTHING"
)


class SqlPlaybackStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def last_point(self, session_id: str) -> SeekPoint | None:
        rows = await self._db.fetch(
            f"SELECT {_POINT_COLUMNS} FROM recording_snapshots"
            " WHERE session_id = ? ORDER BY upto_id DESC LIMIT 1",
            [session_id],
        )
        return SeekPoint(*rows[0]) if rows else None

    async def point_at(self, session_id: str, ts_ms: int) -> SeekPoint | None:
        rows = await self._db.fetch(
            f"SELECT {_POINT_COLUMNS} FROM recording_snapshots"
            " WHERE session_id = ? AND ts_ms <= ? ORDER BY upto_id DESC LIMIT 1",
            [session_id, ts_ms],
        )
        return SeekPoint(*rows[0]) if rows else None

    async def id_at(self, session_id: str, ts_ms: int) -> int:
        rows = await self._db.fetch(
            "SELECT upto_id FROM recording_snapshots WHERE session_id = ? AND ts_ms <= ?"
            " ORDER BY upto_id DESC LIMIT 1",
            [session_id, ts_ms],
        )
        return int(rows[0][0]) if rows else 0

    async def id_after(self, session_id: str, ts_ms: int) -> int | None:
        rows = await self._db.fetch(
            "SELECT upto_id FROM recording_snapshots WHERE session_id = ? AND ts_ms > ?"
            " ORDER BY upto_id LIMIT 1",
            [session_id, ts_ms],
        )
        return int(rows[0][0]) if rows else None

    async def edits_after(
        self, session_id: str, after_id: int, upto_id: int | None
    ) -> Sequence[bytes | None]:
        sql = "SELECT edits FROM recording_snapshots WHERE session_id = ? AND upto_id > ?"
        parameters: list[Any] = [session_id, after_id]
        if upto_id is not None:
            sql += " AND upto_id <= ?"
            parameters.append(upto_id)
        rows = await self._db.fetch(sql + " ORDER BY upto_id", parameters)
        return [row[0] for row in rows]

    async def save_points(self, points: Sequence[SeekPoint]) -> None:
        if not points:
            return
        async with self._db.transaction() as tx:
            await tx.execute(
                _INSERT_POINT,
                [
                    {
                        "session_id": p.session_id,
                        "upto_id": p.upto_id,
                        "ts_ms": p.ts_ms,
                        "state": p.state,
                        "files_text": p.text,
                        "edits": p.edits,
                    }
                    for p in points
                ],
            )

    async def window(
        self,
        session_id: str,
        *,
        kinds: Sequence[str] | None,
        after_id: int,
        upto_id: int | None = None,
        ts_from: int | None = None,
        ts_to: int | None = None,
        limit: int,
        newest_first: bool = False,
    ) -> Sequence[Event]:
        sql = f"SELECT {_EVENT_COLUMNS} FROM session_events WHERE session_id = ? AND id > ?"
        parameters: list[Any] = [session_id, after_id]
        if upto_id is not None:
            sql += " AND id <= ?"
            parameters.append(upto_id)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            parameters += [str(k) for k in kinds]
            if not _DENSE & {str(k) for k in kinds}:
                # the partial index's own condition, spelled out so both databases choose it
                sql += f" AND {SPARSE_KINDS}"
        if ts_from is not None:
            sql += " AND ts_ms >= ?"
            parameters.append(ts_from)
        if ts_to is not None:
            sql += " AND ts_ms <= ?"
            parameters.append(ts_to)
        sql += f" ORDER BY id {'DESC' if newest_first else ''} LIMIT ?"
        rows = await self._db.fetch(sql, [*parameters, limit])
        return [Event(*row) for row in rows]

    async def activity(self, session_id: str, *, bucket_ms: int) -> Sequence[Bucket]:
        rows = await self._db.fetch(
            f"SELECT ts_ms / {int(bucket_ms)} AS bucket, count(*),"
            " sum(CASE WHEN kind = 'doc.update' THEN 1 ELSE 0 END),"
            " sum(CASE WHEN kind = 'awareness' THEN 1 ELSE 0 END), min(ts_ms), max(ts_ms)"
            " FROM session_events WHERE session_id = ? GROUP BY bucket ORDER BY bucket",
            [session_id],
        )
        return [Bucket(*row) for row in rows]
