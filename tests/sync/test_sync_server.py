"""Real websocket clients against a real uvicorn server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import anyio
import pytest
from pycrdt import Doc, Map
from websockets.asyncio.client import connect

from server.recording.events import EventKind
from server.sessions.roles import Role
from server.settings import Settings
from server.sync import protocol
from tests.support.live_app import live_app
from tests.support.provisioning import provision
from tests.support.yclient import YClient, frames_until_close, yclient

pytestmark = pytest.mark.anyio


async def test_two_clients_converge_and_the_session_is_seeded(settings: Settings) -> None:
    people = await provision(settings, language="go", ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("bob"), "bob") as bob:
            assert dict(ada.meta) == {"main": "main.go", "active": "main.go", "lang:main.go": "go"}
            ack = await ada.insert("main.go", 0, "package main\n")
            await ada.wait_ack(ack)
            await bob.wait_for(lambda: bob.text("main.go") == "package main\n")
            await bob.insert("notes.md", 0, "# plan")
            await ada.wait_for(lambda: ada.text("notes.md") == "# plan")


async def test_three_clients_concurrent_edits_on_one_line_converge(settings: Settings) -> None:
    people = await provision(settings, a=Role.INTERVIEWER, b=Role.CANDIDATE, c=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("a"), "a") as a, yclient(url("b"), "b") as b, yclient(url("c"), "c") as c:
            await a.wait_ack(await a.insert("main.py", 0, "print()"))
            for client in (b, c):
                await client.wait_for_text("main.py", lambda text: text == "print()")
            acks = []
            async with anyio.create_task_group() as tg:
                for client, word in ((a, "'x'"), (b, "'y'"), (c, "'z'")):

                    async def type_word(client: YClient = client, word: str = word) -> None:
                        for ch in word:
                            acks.append((client, await client.insert("main.py", 6, ch)))

                    tg.start_soon(type_word)
            for client, ack in acks:
                await client.wait_ack(ack)
            expected = len("print()") + 9
            for client in (a, b, c):
                await client.wait_for_text("main.py", lambda text: len(text) == expected)
            final = a.text("main.py")
            assert b.text("main.py") == final and c.text("main.py") == final
            assert final.startswith("print(") and final.endswith(")")
            assert sorted(final[6:-1]) == sorted("'x''y''z'")


async def test_observer_writes_are_dropped_but_it_reads(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("olga"), "olga") as olga:
            await olga.insert("main.py", 0, "EVIL")
            ack = await ada.insert("main.py", 0, "ok")
            await ada.wait_ack(ack)
            await olga.wait_for(lambda: "ok" in olga.text("main.py"))
            assert "EVIL" not in ada.text("main.py")
        async with yclient(url("ada"), "ada again") as fresh:
            assert fresh.text("main.py") == "ok"
        events = await app.services.recording.read(people.session_id, kinds=[EventKind.DOC_UPDATE])
        assert all(b"EVIL" not in e.data for e in events)


async def test_bad_tokens_are_refused_before_any_document_data(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, cand=Role.CANDIDATE)
    async with live_app(settings) as app:
        for token in ("", "nope", people.tokens["ada"] + "x"):
            async with connect(app.url(people.session_id, token)) as ws:
                assert await frames_until_close(ws) == [] and ws.close_code == 4401
        other = await provision(settings, eve=Role.CANDIDATE)
        async with connect(app.url(people.session_id, other.tokens["eve"])) as ws:  # another session's token
            assert await frames_until_close(ws) == [] and ws.close_code == 4401
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        await app.services.sessions.revoke_link(session, Role.CANDIDATE)
        async with connect(app.url(people.session_id, people.tokens["cand"])) as ws:
            assert await frames_until_close(ws) == [] and ws.close_code == 4403
            assert ws.close_reason is not None and "revoked" in ws.close_reason


async def test_bad_frames_close_only_their_connection(settings: Settings) -> None:
    settings = replace(
        settings, sync_max_message_bytes=64 * 1024, sync_message_burst=50, sync_messages_per_second=5
    )
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada:
            cases: list[tuple[bytes | str, int]] = [
                (b"\x00\x02\x05ab", 4400),  # truncated
                (b"\x07", 4400),  # unknown type
                (protocol.sync_update(b"\x05garbage-update"), 4400),  # does not apply
                (protocol.sync_step1(b"\xff\xff"), 4400),  # invalid state vector
                (
                    protocol.awareness_frame(
                        protocol.encode_awareness([protocol.AwarenessEntry(1, 1, b"{no")])
                    ),
                    4400,
                ),
                ("text frame", 4400),
                (protocol.sync_update(b"\x00" * (65 * 1024)), 1009),  # over the message cap, as it arrives
            ]
            for payload, code in cases:
                async with yclient(url("bob"), "bob") as bob:
                    await bob.ws.send(payload)
                    closed = await bob.wait_closed()
                    assert closed.rcvd is not None and closed.rcvd.code == code, (payload[:20], closed)
            async with yclient(url("bob"), "bob flood") as bob:
                for _ in range(200):
                    if bob.closed is not None:
                        break
                    await bob.ws.send(protocol.QUERY_AWARENESS_FRAME)
                closed = await bob.wait_closed()
                assert closed.rcvd is not None and closed.rcvd.code == 4429
            ack = await ada.insert("main.py", 0, "still fine")
            await ada.wait_ack(ack)
            assert ada.closed is None
        async with yclient(url("ada"), "check") as check:
            assert check.text("main.py") == "still fine"


async def test_a_client_that_stops_reading_is_dropped_and_the_room_carries_on(settings: Settings) -> None:
    settings = replace(settings, sync_send_queue_bytes=2 * 1024 * 1024)
    people = await provision(settings, ada=Role.INTERVIEWER, slow=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada:
            await ada.wait_ack(await ada.insert("main.py", 0, "x" * 1_000_000))
            # max_queue=1: the client library stops reading the socket after one unread frame
            async with connect(url("slow"), max_size=None, max_queue=1) as slow:
                requests = 40  # each asks for the whole 1 MB document: far more than socket buffers hold
                for _ in range(requests):
                    await slow.send(protocol.sync_step1(b"\x00"))
                ack = await ada.insert("main.py", 0, "still served;")
                await ada.wait_ack(ack)  # the room did not wait for the slow client
                frames = await frames_until_close(slow)  # now read what the server had sent
            step2 = [f for f in frames if isinstance(f, bytes) and f[:2] == b"\x00\x01"]
            # what the kernel's socket buffers took, then at most one waiting answer; asking on
            # and on for the whole document is refused (4429)
            assert len(step2) < settings.sync_full_state_burst, (
                "the server kept answering a client that did not read"
            )
            assert slow.close_code == 4429
            await ada.wait_ack(await ada.insert("main.py", 0, "and after;"))
            assert ada.text("main.py").startswith("and after;still served;")


async def test_awareness_is_sent_at_once_stamped_and_removed_on_close(settings: Settings) -> None:
    people = await provision(settings, **{"Zoë": Role.INTERVIEWER, "bob": Role.CANDIDATE})
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("Zoë"), "zoe") as zoe:
            cursor = {"anchor": {"type": None, "tname": "main.py", "item": None, "assoc": 0}, "head": None}
            cursor["head"] = cursor["anchor"]
            await zoe.set_awareness(
                {"user": {"name": "I am the interviewer", "color": "#f00"}, "cursor": cursor}
            )
            async with yclient(url("bob"), "bob") as bob:
                # the joiner gets the existing state in its first frames, before any renewal
                await bob.wait_for(lambda: zoe.doc.client_id in bob.awareness, "zoe's cursor")
                seen = bob.awareness[zoe.doc.client_id]
                assert seen["user"]["name"] == "Zoë" and seen["user"]["role"] == "interviewer"
                assert seen["user"]["color"] == "#f00" and seen["cursor"] == cursor
                await bob.set_awareness({"user": {"name": "Zoë"}})  # impersonation attempt
                await zoe.wait_for(lambda: bob.doc.client_id in zoe.awareness, "bob's cursor")
                assert zoe.awareness[bob.doc.client_id]["user"] == {
                    "name": "bob",
                    "role": "candidate",
                    "participant": zoe.awareness[bob.doc.client_id]["user"]["participant"],
                }
            await zoe.wait_for(lambda: bob.doc.client_id not in zoe.awareness, "bob's removal")
        await app.services.events.flush()
        events = await app.services.recording.read(people.session_id)
        kinds = [e.kind for e in events]
        assert EventKind.JOIN in kinds and EventKind.LEAVE in kinds and EventKind.AWARENESS in kinds
        recorded = next(e for e in events if e.kind == EventKind.AWARENESS)
        assert json.loads(recorded.data)["state"]["user"]["name"] in {"Zoë", "bob"}


async def test_the_last_cursor_of_a_burst_is_recorded_while_the_participant_stays(settings: Settings) -> None:
    """Cursor moves are recorded at most every 250 ms; the last move of a burst must still reach
    the recording when its time is up, not only at the next move or when the participant leaves
    (playback would show a cursor where it no longer was)."""
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, yclient(app.urls(people)("ada"), "ada") as ada:
        for position in range(1, 21):
            await ada.set_awareness({"user": {"name": "ada", "color": "#0a0"}, "position": position})

        async def last_recorded() -> int | None:
            events = await app.services.recording.read(people.session_id, kinds=[EventKind.AWARENESS])
            return json.loads(events[-1].data)["state"].get("position") if events else None

        with anyio.fail_after(30):  # the connection stays open throughout
            while True:
                batch = app.services.events.next_batch()
                if await last_recorded() == 20:
                    break
                await batch.wait()
        recorded = await app.services.recording.read(people.session_id, kinds=[EventKind.AWARENESS])
        assert len(recorded) < 20, "every move was recorded: the throttle did nothing"


async def test_presence_can_be_left_out_of_the_recording(settings: Settings) -> None:
    """DUET_RECORD_PRESENCE=false: edits are recorded (the pad needs them), cursors and
    joins/leaves are not."""
    settings = replace(settings, record_presence=False)
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        async with yclient(app.urls(people)("ada"), "ada") as ada:
            await ada.set_awareness({"user": {"name": "ada", "color": "#0a0"}, "position": 1})
            await ada.wait_ack(await ada.insert("main.py", 0, "kept"))
            await ada.set_awareness({"user": {"name": "ada", "color": "#0a0"}, "position": 2})
        await app.services.events.flush()
        kinds = {e.kind for e in await app.services.recording.read(people.session_id)}
        assert kinds == {EventKind.DOC_UPDATE}


async def test_awareness_a_client_sends_back_is_not_broadcast_again(settings: Settings) -> None:
    """The stock provider sends every awareness change it applies back to the server; a removal
    coming back must not reach the others a second time."""
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("olga"), "olga") as olga:
            async with yclient(url("bob"), "bob") as bob:
                await bob.set_awareness({"file": "f1"})
                await ada.wait_for(lambda: bob.doc.client_id in ada.awareness, "bob's cursor")
            await ada.wait_for(lambda: bob.doc.client_id not in ada.awareness, "bob's removal")
            await olga.wait_for(lambda: bob.doc.client_id not in olga.awareness, "bob's removal")
            removal = next(f for f in reversed(ada.frames) if f[0] == protocol.MessageType.AWARENESS)
            seen = len(olga.frames)
            await ada.ws.send(removal)  # what the stock provider does with what it applied
            await ada.set_awareness({"file": "f2"})
            await olga.wait_for(lambda: olga.awareness.get(ada.doc.client_id) is not None, "ada's cursor")
            arrived = [protocol.parse_frame(f) for f in olga.frames[seen:]]
            assert all(isinstance(m, protocol.AwarenessMessage) for m in arrived), arrived
            assert [
                protocol.parse_awareness(m.payload)[0].client_id
                for m in arrived
                if isinstance(m, protocol.AwarenessMessage)
            ] == [ada.doc.client_id]


async def test_a_participant_cannot_change_or_remove_another_ones_cursor(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("bob"), "bob") as bob:
            await ada.set_awareness({"file": "f1"})
            await bob.wait_for(lambda: ada.doc.client_id in bob.awareness, "ada's cursor")
            # bob forges ada's client id: a newer state, then a removal
            forged = [
                protocol.AwarenessEntry(ada.doc.client_id, 100, json.dumps({"file": "f99"}).encode()),
                protocol.AwarenessEntry(ada.doc.client_id, 101, protocol.NULL_STATE),
            ]
            for entry in forged:
                await bob.ws.send(protocol.awareness_frame(protocol.encode_awareness([entry])))
            await bob.set_awareness({"file": "f5"})  # sent after the forgeries: once seen, they were too
            async with yclient(url("olga"), "olga") as olga:
                await olga.wait_for(
                    lambda: olga.awareness.get(bob.doc.client_id, {}).get("file") == "f5", "bob"
                )
                assert olga.awareness[ada.doc.client_id]["file"] == "f1"
                assert olga.awareness[ada.doc.client_id]["user"]["name"] == "ada"


async def test_ending_the_session_makes_everyone_read_only(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("bob"), "bob") as bob:
            await ada.wait_ack(await ada.insert("main.py", 0, "before"))
            await app.services.end_session(people.session_id, org_id=people.org_id)
            await bob.insert("main.py", 0, "after")
            await ada.insert("main.py", 0, "after")
        async with yclient(url("ada"), "reader") as reader:
            assert reader.text("main.py") == "before"


async def test_updates_are_recorded_with_author_and_time_and_survive_restart(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, yclient(app.url(people.session_id, people.tokens["ada"])) as ada:
        for i in range(30):
            last = await ada.insert("main.py", i, "x")
        await ada.wait_ack(last)
    events = []
    async with live_app(settings) as app:
        async with yclient(app.url(people.session_id, people.tokens["ada"])) as again:
            assert again.text("main.py") == "x" * 30
        events = list(await app.services.recording.read(people.session_id, kinds=[EventKind.DOC_UPDATE]))
    authored = [e for e in events if e.author is not None]
    assert len(authored) == 30 and len(events) == 31  # + the seed
    assert all(a.ts_ms <= b.ts_ms for a, b in zip(authored, authored[1:], strict=False))


async def test_idle_rooms_unload_and_snapshots_make_loading_cheap(settings: Settings) -> None:
    settings = replace(
        settings, sync_room_grace_seconds=0.0, sync_snapshot_every=10, sync_snapshot_margin_seconds=0.0
    )
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        rooms = app.services.sync.rooms
        async with yclient(app.url(people.session_id, people.tokens["ada"])) as ada:
            for i in range(25):
                last = await ada.insert("main.py", i, "y")
            await ada.wait_ack(last)
            assert len(rooms) == 1
        with anyio.fail_after(15):
            while len(rooms):
                await rooms.unloaded.wait()
        events = await app.services.recording.read(people.session_id, kinds=[EventKind.DOC_UPDATE])
        snapshot = await app.services.recording.latest_snapshot(people.session_id)
        assert snapshot is not None and snapshot.upto_id == events[-1].id
        doc: Doc[Any] = Doc()
        doc.apply_update(snapshot.state)
        assert str(doc.get("files", type=Map)["main.py"]) == "y" * 25
        async with yclient(app.url(people.session_id, people.tokens["ada"])) as again:
            assert again.text("main.py") == "y" * 25
        assert rooms.loads == 2 and rooms.unloads == 1
