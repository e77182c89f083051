"""Seek points on both databases: their cadence, incremental building, the margin, and the state
at any moment equal to replaying the log."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from pycrdt import Doc, Map
from sqlalchemy import text

from server.playback.seek import SeekIndex
from server.playback.state import state_at
from server.recording.events import EventKind, NewEvent
from server.settings import Settings
from server.sync.seed import FILES
from server.web.services import Services, running_services
from tests.support.recorded_session import Recorded, record_session, replay

pytestmark = pytest.mark.anyio

START = 1_700_000_000_000


async def _stored(svc: Services, **kwargs: Any) -> tuple[str, Recorded]:
    org = await svc.accounts.default_organization()
    session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
    recorded = record_session(session.id, start_ms=START, **kwargs)
    for at in range(0, len(recorded.events), 1000):
        await svc.recording.append(recorded.events[at : at + 1000])
    return session.id, recorded


def _files(updates_b64: list[str]) -> dict[str, str]:
    """The files of the document a browser builds from a state's ``updates``."""
    doc: Doc[Any] = Doc()
    for update in updates_b64:
        try:
            doc.apply_update(base64.b64decode(update))
        except ValueError:  # an update that does not decode: skipped, as playback does
            continue
    files = doc.get(FILES, type=Map)
    return {path: str(files[path]) for path in files}


async def test_points_follow_the_cadence_and_extend_incrementally(settings: Settings) -> None:
    async with running_services(settings) as svc:
        session_id, recorded = await _stored(
            svc, updates=260, duration_ms=120_000, idle_every=100, idle_ms=45_000
        )
        store = svc.playback.store
        # built in three steps (the clock moves on), then all at once for a copy: the same points
        now = START
        index = SeekIndex(store, every_updates=50, every_ms=30_000, margin_ms=1_000, clock=lambda: now)
        now = START + 60_000
        first = await index.extend(session_id, ended_ms=None)
        now = START + 10**9
        rest = await index.extend(session_id, ended_ms=None)
        assert first > 0 and rest > 0
        assert await index.extend(session_id, ended_ms=None) == 0  # nothing new: nothing stored
        points = await _all_points(svc, session_id)
        updates = await store.window(session_id, kinds=[EventKind.DOC_UPDATE], after_id=0, limit=100_000)
        by_id = {e.id: e for e in updates}
        previous_upto, previous_ts = 0, None
        for upto_id, ts_ms, state in points:
            covered = [e for e in updates if previous_upto < e.id <= upto_id]
            # the cadence: at most 50 updates, and a point is due when 30 s passed since the last
            assert 0 < len(covered) <= 50
            assert ts_ms == max(e.ts_ms for e in updates if e.id <= upto_id)
            if len(covered) < 50 and previous_ts is not None:
                following = [e for e in updates if e.id > upto_id]
                assert following and following[0].ts_ms - previous_ts >= 30_000 or not following
            doc: Doc[Any] = Doc()
            doc.apply_update(state)
            expected = replay([(e.ts_ms, e.data) for e in updates if e.id <= upto_id], 10**15)
            files = doc.get(FILES, type=Map)
            assert {p: str(files[p]) for p in files} == expected
            previous_upto, previous_ts = upto_id, ts_ms
            assert upto_id in by_id
        # the idle gaps of 45 s forced points by time (fewer than 50 updates each)
        assert any(
            len([e for e in updates if lo < e.id <= hi]) < 50
            for (lo, _, _), (hi, _, _) in zip(points, points[1:], strict=False)
        )
        assert recorded.updates


async def _all_points(svc: Services, session_id: str) -> list[tuple[int, int, bytes]]:
    rows = await svc.db.fetch(
        "SELECT upto_id, ts_ms, state FROM recording_snapshots WHERE session_id = ? ORDER BY upto_id",
        [session_id],
    )
    return [(int(upto), int(ts), bytes(state)) for upto, ts, state in rows]


async def test_the_margin_leaves_young_events_to_the_tail_and_an_ended_session_gets_a_last_point(
    settings: Settings,
) -> None:
    async with running_services(settings) as svc:
        session_id, recorded = await _stored(svc, updates=120, duration_ms=60_000)
        store = svc.playback.store
        end = recorded.updates[-1][0]
        now = end + 1_000
        index = SeekIndex(store, every_updates=40, every_ms=10**9, margin_ms=30_000, clock=lambda: now)
        await index.extend(session_id, ended_ms=end)
        last = await store.last_point(session_id)
        assert last is not None and last.ts_ms < end - 30_000  # nothing younger than the margin
        state = await state_at(store, session_id, end)
        assert _files(state.updates) == replay(recorded.updates, end)
        now = end + 60_000
        await index.extend(session_id, ended_ms=end)
        last = await store.last_point(session_id)
        assert last is not None and last.ts_ms == end  # past the margin: a point at the very end
        await index.ensure(session_id, ended_ms=end)  # complete: no query at all
        assert await index.extend(session_id, ended_ms=end) == 0


async def test_the_state_at_any_moment_is_the_replayed_log(settings: Settings) -> None:
    async with running_services(settings) as svc:
        session_id, recorded = await _stored(
            svc, updates=700, duration_ms=300_000, idle_every=200, idle_ms=40_000
        )
        store = svc.playback.store
        await SeekIndex(store, every_updates=60, every_ms=20_000, margin_ms=0).extend(
            session_id, ended_ms=None
        )
        assert await store.last_point(session_id) is not None
        times = [ts for ts, _ in recorded.updates]
        rng = random.Random(7)
        samples = [times[0] - 1, times[0], times[-1], times[-1] + 1, *rng.sample(times, 25)]
        samples += [t + rng.choice([-1, 1]) for t in rng.sample(times, 10)]
        for t in samples:
            state = await state_at(store, session_id, t)
            expected = replay(recorded.updates, t)
            assert _files(state.updates) == expected
            assert {f.path: f.text for f in state.files} == expected
        # the live document's end state, via the service (which extends with the real margin)
        session = await svc.sessions.get(session_id, org_id=(await svc.accounts.default_organization()).id)
        final = await svc.playback.state(session, times[-1] + 10**6)
        assert _files(final.updates) == replay(recorded.updates, 10**15)
        assert final.main == "main.py" and final.active == "main.py"
        assert {f.language for f in final.files} == {"python"}


async def test_an_update_that_does_not_decode_is_skipped(settings: Settings) -> None:
    async with running_services(settings) as svc:
        session_id, recorded = await _stored(svc, updates=80, duration_ms=20_000)
        end = recorded.updates[-1][0]
        await svc.recording.append([NewEvent(session_id, EventKind.DOC_UPDATE, b"\x00garbage", "x", end - 5)])
        store = svc.playback.store
        await SeekIndex(store, every_updates=30, margin_ms=0).extend(session_id, ended_ms=None)
        for t in (end - 6, end - 5, end):
            assert _files((await state_at(store, session_id, t)).updates) == replay(recorded.updates, t)


async def test_the_files_come_from_the_text_index_without_decoding(settings: Settings) -> None:
    """With every stored document made undecodable, the files at any moment past the first point
    are still right: they come from the points' text and edits. A point without them (as an
    imported one) is decoded instead."""
    async with running_services(settings) as svc:
        session_id, recorded = await _stored(svc, updates=300, duration_ms=120_000)
        store = svc.playback.store
        await SeekIndex(store, every_updates=40, every_ms=10**9, margin_ms=0).extend(
            session_id, ended_ms=None
        )
        points = await _all_points(svc, session_id)
        assert len(points) >= 5
        async with svc.db.transaction() as tx:
            await tx.execute(
                text("UPDATE recording_snapshots SET state = :junk WHERE session_id = :s"),
                {"junk": b"\x00not a document", "s": session_id},
            )
        rng = random.Random(5)
        times = [ts for ts, _ in recorded.updates if ts >= points[0][1]]
        for t in rng.sample(times, 20):
            state = await state_at(store, session_id, t)
            assert {f.path: f.text for f in state.files} == replay(recorded.updates, t)
        async with svc.db.transaction() as tx:  # the documents back, the text index gone
            await tx.execute(
                text("UPDATE recording_snapshots SET state = :state, files_text = NULL WHERE upto_id = :u"),
                [{"state": state, "u": upto} for upto, _, state in points],
            )
        for t in rng.sample(times, 10):
            state = await state_at(store, session_id, t)
            assert {f.path: f.text for f in state.files} == replay(recorded.updates, t)
            assert _files(state.updates) == replay(recorded.updates, t)
