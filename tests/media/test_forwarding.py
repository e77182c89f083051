"""Audio and video through the server with aiortc peers as participants: each receives the
others' streams, decoded (the server forwarded the encoded frames); observers receive and
cannot publish; nothing flows once a connection ends or the session does."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import control_client
from tests.support.live_app import live_app
from tests.support.media_peer import events_url, media_peer, publish
from tests.support.provisioning import provision

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


async def test_two_participants_receive_each_other(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "bob")) as bob,
    ):
        await publish(ada)
        await publish(bob)
        ada_id = ada.control.events[0]["you"]["participant"]
        bob_id = bob.control.events[0]["you"]["participant"]
        await bob.frames_from(ada_id, "video", 30)
        await bob.frames_from(ada_id, "audio", 50)
        await ada.frames_from(bob_id, "video", 30)
        await ada.frames_from(bob_id, "audio", 50)
        # nobody receives their own stream
        assert not ada.from_(ada_id) and not bob.from_(bob_id)


async def test_an_observer_receives_and_cannot_publish(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, olga=Role.OBSERVER)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "olga")) as olga,
    ):
        ready = await olga.join()
        assert ready["can_publish"] is False
        await publish(ada)
        ada_id = ada.control.events[0]["you"]["participant"]
        await olga.frames_from(ada_id, "video", 10)
        pc_id = await olga.publish()
        refusal = await olga.control.expect("error", lambda e: e["request"] == "media.offer")
        assert "does not publish" in refusal["message"]
        assert not any(e.get("type") == "media.answer" and e["pc"] == pc_id for e in olga.control.events)
        assert all(r.publisher != olga.control.events[0]["you"]["participant"] for r in ada.received.values())
        assert len(app.services.media._lines[people.session_id].room.publishers) == 1


async def test_nothing_flows_after_the_session_ends(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "bob")) as bob,
    ):
        await publish(ada)
        await bob.join()
        ada_id = ada.control.events[0]["you"]["participant"]
        await bob.frames_from(ada_id, "video", 10)
        room = app.services.media._lines[people.session_id].room
        forwarded = [t for s in room.subscriptions.values() for t in s.tracks]
        await app.services.end_session(people.session_id, org_id=people.org_id)
        await bob.control.wait_closed()  # a guest's socket closes at the end
        assert all(t.readyState == "ended" for t in forwarded)
        with anyio.fail_after(20):
            await app.services.media.settled(people.session_id)
        assert not room.publishers and not room.subscriptions
        # a new command is refused: the session is over
        await ada.control.send(type="media.join")
        refusal = await ada.control.expect("error", lambda e: e["request"] == "media.join")
        assert "not available" in refusal["message"]


async def test_a_closed_connection_stops_its_streams(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app, media_peer(events_url(app, people, "ada")) as ada:
        async with media_peer(events_url(app, people, "bob")) as bob:
            await publish(bob)
            await ada.join()
            bob_id = bob.control.events[0]["you"]["participant"]
            await ada.frames_from(bob_id, "video", 10)
            room = app.services.media._lines[people.session_id].room
            forwarded = [t for s in room.subscriptions.values() for t in s.tracks]
        closed = await ada.control.expect("media.closed")
        assert closed["reason"] == "left"
        assert all(t.readyState == "ended" for t in forwarded)
        assert not room.publishers


async def test_bad_signalling_is_refused(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, control_client(events_url(app, people, "ada")) as ada:
        await ada.send(type="media.offer", pc="p1", sdp="not an sdp")
        error = await ada.expect("error", lambda e: e["request"] == "media.offer")
        assert "SDP" in error["message"] or "publishes nothing" in error["message"]
        await ada.send(type="media.answer", pc="nope", sdp="v=0")
        await ada.expect("error", lambda e: e["request"] == "media.answer")
        await ada.send(type="media.candidate", pc="nope", candidate="candidate:1 1 udp 1 1.2.3.4 5 typ host")
        await ada.expect("error", lambda e: e["request"] == "media.candidate")
        # an id that is not one closes the socket as any malformed command does
        await ada.send(type="media.offer", pc="../../etc", sdp="v=0")
        closed = await ada.wait_closed()
        assert closed.rcvd is not None and closed.rcvd.code == 4400


async def test_who_drops_and_rejoins_gets_video_back(settings: Settings) -> None:
    """A receiver that reconnects starts at a keyframe the server asked the publisher for; a
    publisher that reconnects is offered again to the others."""
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app, media_peer(events_url(app, people, "ada")) as ada:
        await publish(ada)
        ada_id = ada.control.events[0]["you"]["participant"]
        async with media_peer(events_url(app, people, "bob")) as bob:
            await bob.join()
            await bob.frames_from(ada_id, "video", 10)
        before = ada.keyframe_requests
        async with media_peer(events_url(app, people, "bob")) as bob:
            await bob.join()
            await bob.frames_from(ada_id, "video", 10)
            assert ada.keyframe_requests > before
            bob_id = bob.control.events[0]["you"]["participant"]
            await publish(bob)
            await ada.frames_from(bob_id, "video", 10)
        # bob's connection ended: ada is told, then bob comes back and publishes again
        await ada.control.expect("media.closed")
        async with media_peer(events_url(app, people, "bob")) as bob:
            await publish(bob)
            await ada.frames_from(bob_id, "video", 10)


async def test_a_screen_share_is_a_second_stream_until_unpublished(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "bob")) as bob,
    ):
        await publish(ada)
        screen = await ada.publish("screen", audio=False)
        await ada.answered(screen)
        await bob.join()
        ada_id = ada.control.events[0]["you"]["participant"]
        await bob.frames_from(ada_id, "video", 10, stream="screen")
        await bob.frames_from(ada_id, "video", 10, stream="camera")
        offered = [
            e for e in bob.control.events if e.get("type") == "media.offer" and e["stream"] == "screen"
        ]
        await ada.control.send(type="media.unpublish", pc=screen)
        closed = await bob.control.expect("media.closed", lambda e: e["pc"] == offered[0]["pc"])
        assert closed["reason"] == "unpublished"
        await bob.frames_from(ada_id, "video", 10, stream="camera")  # the camera goes on
