"""The event log's storage on both databases: one append is one statement, ids in order."""

from __future__ import annotations

import pytest

from server.errors import Unavailable
from server.recording.events import EventKind, NewEvent, Snapshot
from server.recording.writer import MAX_BATCH
from server.settings import Settings
from server.web.services import running_services

pytestmark = pytest.mark.anyio


async def test_append_returns_ids_in_order_and_keeps_every_field(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
        events = [
            NewEvent(
                session.id,
                EventKind.DOC_UPDATE,
                i.to_bytes(2, "big") + b"\x00\xff",
                "p1" if i % 3 else None,
                1000 + i,
            )
            for i in range(MAX_BATCH)  # a whole batch: within SQLite's bound-parameter limit
        ]
        ids = await svc.recording.append(events)
        assert ids == sorted(ids) and len(set(ids)) == MAX_BATCH
        stored = await svc.recording.read(session.id, limit=MAX_BATCH)
        assert [e.id for e in stored] == ids
        assert [(e.kind, e.data, e.author, e.ts_ms) for e in stored] == [
            (e.kind, e.data, e.author, e.ts_ms) for e in events
        ]
        big = NewEvent(session.id, EventKind.DOC_UPDATE, bytes(range(256)) * 4096, "p1", 5)
        (big_id,) = await svc.recording.append([big])
        assert (await svc.recording.read(session.id, after_id=ids[-1]))[0].data == big.data
        assert await svc.recording.append([]) == []

        await svc.recording.save_snapshot(Snapshot(session.id, ids[10], b"state"))
        await svc.recording.save_snapshot(Snapshot(session.id, ids[5], b"older"))  # ignored
        assert await svc.recording.latest_snapshot(session.id) == Snapshot(session.id, ids[10], b"state")
        assert await svc.recording.delete_session(session.id) == MAX_BATCH + 1
        assert await svc.recording.latest_snapshot(session.id) is None
        assert big_id > ids[-1]


async def test_reads_filter_by_kind_and_read_latest_keeps_the_newest(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
        kinds = [EventKind.DOC_UPDATE, EventKind.JOIN, EventKind.AWARENESS, "chat", EventKind.LEAVE, "chat"]
        ids = await svc.recording.append(
            [NewEvent(session.id, kind, f"{i}".encode(), "p1", 100 + i) for i, kind in enumerate(kinds)]
        )
        updates = await svc.recording.read(session.id, kinds=[EventKind.DOC_UPDATE])
        assert [e.id for e in updates] == [ids[0]]
        assert [e.kind for e in await svc.recording.read(session.id, after_id=ids[2])] == kinds[3:]
        assert len(await svc.recording.read(session.id, limit=2)) == 2
        latest = await svc.recording.read_latest(session.id, kinds=["chat", EventKind.JOIN], limit=2)
        assert [(e.id, e.data, e.author, e.ts_ms) for e in latest] == [
            (ids[3], b"3", "p1", 103),
            (ids[5], b"5", "p1", 105),
        ]


async def test_a_failed_read_is_unavailable_and_the_next_one_works(settings: Settings) -> None:
    async with running_services(settings) as svc:
        with pytest.raises(Unavailable):
            await svc.db.fetch("SELECT nothing FROM no_such_table")
        assert await svc.db.fetch("SELECT ? + 1", [41]) == [(42,)]
