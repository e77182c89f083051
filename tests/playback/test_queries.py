"""The timeline, the cursors and console at a moment, and the events of a stretch of time, on
both databases, from a made-up recording."""

from __future__ import annotations

import base64
import json

import anyio
import pytest

from server.playback.seek import SeekIndex
from server.playback.state import state_at
from server.playback.timeline import timeline
from server.recording.events import EventKind, NewEvent
from server.settings import Settings
from server.web.services import running_services
from tests.support.recorded_session import record_session

pytestmark = pytest.mark.anyio

T0 = 1_700_000_000_000


def _json(session_id: str, kind: str, ts: int, author: str | None, /, **data: object) -> NewEvent:
    return NewEvent(session_id, kind, json.dumps({"type": kind, "ts": ts, **data}).encode(), author, ts)


async def test_timeline_markers_participants_and_active_spans(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(
            org_id=org.id, title="Pairs", language="python", created_by=None
        )
        recorded = record_session(
            session.id, start_ms=T0, updates=400, duration_ms=100_000, idle_every=250, idle_ms=120_000
        )
        a, b = recorded.participants[0], recorded.participants[1]
        end = recorded.updates[-1][0]
        extra = [
            _json(session.id, "note", end + 1, a, **{"from": "p0", "text": "strong start"}),
            _json(
                session.id,
                "signal",
                end + 2,
                b,
                participant=b,
                **{"from": "p1"},
                role="candidate",
                kind="focus",
                state="lost",
            ),
            _json(
                session.id,
                "signal",
                end + 3,
                b,
                participant=b,
                **{"from": "p1"},
                role="candidate",
                kind="paste",
                chars=10,
                external=True,
            ),
            _json(
                session.id,
                "signal",
                end + 4,
                b,
                participant=b,
                **{"from": "p1"},
                role="candidate",
                kind="visibility",
                state="hidden",
            ),
            _json(
                session.id,
                "run.started",
                end + 5,
                a,
                run_id="open",
                by="p0",
                mode="run",
                file="main.py",
                language="python",
            ),
            _json(session.id, EventKind.FILE_RENAMED, end + 5, a, **{"from": "main.py", "to": "app.py"}),
            _json(session.id, EventKind.FILE_LANGUAGE, end + 5, b, path="app.py", language="ruby"),
            NewEvent(session.id, EventKind.LEAVE, json.dumps({"participant_id": b}).encode(), b, end + 6),
            NewEvent(session.id, "chat", b"not json", b, end + 7),  # read, never trusted
            NewEvent(session.id, EventKind.SESSION_ENDED, b"{}", None, end + 8),
        ]
        await svc.recording.append(recorded.events)
        await svc.recording.append(extra)
        shown = await timeline(svc.playback.store, session)
        assert shown.session.title == "Pairs" and shown.start_ms == T0 and shown.end_ms == end + 8
        assert [p.id for p in shown.participants] == recorded.participants
        assert all(p.color.startswith("hsl(") for p in shown.participants)
        assert shown.updates == len(recorded.updates)
        kinds = [m.kind for m in shown.markers]
        runs = [m for m in shown.markers if m.kind == "run"]
        expected_runs = [e for e in recorded.events if e.kind == "run.started"]
        assert len(runs) == len(expected_runs) + 1
        assert {(r.status, r.passed, r.failed) for r in runs[:-1]} == {("ok", 2, 0), ("ok", 1, 1)}
        assert runs[-1].status == "running" and runs[-1].end_ts is None
        assert kinds.count("chat") == len([e for e in recorded.events if e.kind == "chat"]) + 1
        assert kinds.count("paste") == len(
            [e for e in recorded.events if e.kind == "signal"]
        )  # the small one: none
        assert ("focus", "lost") in [(m.kind, m.state) for m in shown.markers]
        assert ("visibility", "hidden") in [(m.kind, m.state) for m in shown.markers]
        note = next(m for m in shown.markers if m.kind == "note")
        assert note.text == "strong start" and note.name == "p0"
        assert kinds.count("join") == 3 and "leave" in kinds and kinds[-1] == "session.ended"
        renamed = next(m for m in shown.markers if m.kind == EventKind.FILE_RENAMED)
        assert (renamed.path, renamed.renamed_to, renamed.author) == ("main.py", "app.py", a)
        language = next(m for m in shown.markers if m.kind == EventKind.FILE_LANGUAGE)
        assert (language.path, language.language, language.author) == ("app.py", "ruby", b)
        # the idle pause of two minutes splits the activity in two spans
        assert len(shown.active_spans) == 2
        assert shown.active_spans[0][0] <= T0 + 2 and shown.active_spans[-1][1] >= end
        assert shown.active_spans[1][0] - shown.active_spans[0][1] >= 100_000


async def test_cursors_and_console_at_a_moment(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
        sid = session.id

        def aw(ts: int, who: str, client: int, state: object) -> NewEvent:
            return NewEvent(
                sid,
                EventKind.AWARENESS,
                json.dumps({"client": client, "clock": ts, "state": state}).encode(),
                who,
                ts,
            )

        events = [
            aw(T0, "pa", 1, {"file": "main.py", "cursor": 1}),
            aw(T0 + 10, "pb", 2, {"file": "b.py", "cursor": 2}),
            aw(T0 + 20, "pa", 1, {"file": "main.py", "cursor": 3}),
            _json(
                sid,
                "run.started",
                T0 + 30,
                "pa",
                run_id="r1",
                by="Ada",
                mode="run",
                file="main.py",
                language="python",
            ),
            _json(sid, "run.output", T0 + 31, "pa", run_id="r1", stream="stdout", data="hello\n"),
            _json(sid, "terminal.opened", T0 + 32, "pa", language="bash", by="Ada"),
            _json(sid, "terminal.output", T0 + 33, None, data="$ ls\n"),
            _json(sid, "run.output", T0 + 34, "pa", run_id="r1", stream="stderr", data="oops\n"),
            _json(sid, "run.finished", T0 + 35, "pa", run_id="r1", result=None, error="stopped"),
            _json(sid, "terminal.output", T0 + 36, None, data="a.txt\n"),
            NewEvent(sid, EventKind.LEAVE, json.dumps({"participant_id": "pb"}).encode(), "pb", T0 + 37),
            _json(sid, "terminal.closed", T0 + 38, None),
            aw(T0 + 40_000, "pa", 1, {"file": "main.py", "cursor": 9}),
        ]
        await svc.recording.append(events)
        store = svc.playback.store
        await SeekIndex(store, margin_ms=0).extend(sid, ended_ms=None)

        at = await state_at(store, sid, T0 + 25)
        assert sorted((c.participant, c.state["cursor"]) for c in at.cursors) == [("pa", 3), ("pb", 2)]
        assert at.console.run is None and at.console.terminal is None
        at = await state_at(store, sid, T0 + 34)
        assert at.console.run is not None and at.console.run.finished is None
        assert [(o.stream, o.data) for o in at.console.run.output] == [
            ("stdout", "hello\n"),
            ("stderr", "oops\n"),
        ]
        assert (
            at.console.terminal is not None
            and at.console.terminal.open
            and at.console.terminal.text == "$ ls\n"
        )
        at = await state_at(store, sid, T0 + 38)
        assert at.console.run is not None and at.console.run.finished is not None
        assert at.console.run.finished["error"] == "stopped"
        assert at.console.terminal is not None and not at.console.terminal.open
        assert at.console.terminal.text == "$ ls\na.txt\n"
        assert [c.participant for c in at.cursors] == ["pa"]  # pb left
        # 40 s later, pa's earlier state is past the awareness window; the new one counts
        at = await state_at(store, sid, T0 + 39_000)
        assert at.cursors == []
        at = await state_at(store, sid, T0 + 40_000)
        assert [c.state["cursor"] for c in at.cursors] == [9]


async def test_events_of_a_stretch_page_by_id_and_bound_their_size(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
        recorded = record_session(session.id, start_ms=T0, updates=300, duration_ms=60_000)
        await svc.recording.append(recorded.events)
        last = recorded.updates[-1][0]
        await svc.recording.append([NewEvent(session.id, "chat", b"\xff not json", "x", last + 1)])
        await SeekIndex(svc.playback.store, every_updates=40, margin_ms=0).extend(session.id, ended_ms=None)
        lo, hi = T0 + 10_000, last + 1
        expected = [
            e for e in sorted(await svc.recording.read(session.id), key=lambda e: e.id) if lo <= e.ts_ms <= hi
        ]
        got, after = [], 0
        while True:
            page = await svc.playback.events(session, ts_from=lo, ts_to=hi, after=after, limit=37)
            assert len(page.events) <= 37
            got += page.events
            if page.next_after is None:
                break
            after = page.next_after
        assert [e.id for e in got] == [e.id for e in expected]
        for shown, stored in zip(got, expected, strict=True):
            if stored.kind == EventKind.DOC_UPDATE or stored.data.startswith(b"\xff"):
                assert base64.b64decode(shown.data) == stored.data
            else:
                assert shown.data == json.loads(stored.data)


async def test_states_wait_for_a_free_builder(settings: Settings) -> None:
    async with running_services(settings) as svc:
        org = await svc.accounts.default_organization()
        session, _ = await svc.sessions.create(org_id=org.id, title="t", language="python", created_by=None)
        recorded = record_session(session.id, start_ms=T0, updates=50, duration_ms=10_000)
        await svc.recording.append(recorded.events)
        end = recorded.updates[-1][0]
        done = anyio.Event()

        async def ask() -> None:
            await svc.playback.state(session, end)
            done.set()

        limiter = svc.playback.builds
        async with anyio.create_task_group() as tg:
            held = [object() for _ in range(int(limiter.total_tokens))]
            for token in held:
                await limiter.acquire_on_behalf_of(token)  # every builder busy
            tg.start_soon(ask)
            with anyio.fail_after(30):  # until the state's build queues for a builder
                while True:
                    if limiter.statistics().tasks_waiting:
                        break
                    await anyio.sleep(0.01)
            assert not done.is_set()  # the state waits for a builder...
            for token in held:
                limiter.release_on_behalf_of(token)
            with anyio.fail_after(30):
                await done.wait()  # ...and gets one as soon as one is free
