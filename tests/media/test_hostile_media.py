"""Signalling that attacks: floods, too many candidates, offers that publish too much, too many
streams for one session, another session's streams; and a revoked link's streams stop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from aiortc import RTCPeerConnection

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import control_client
from tests.support.live_app import live_app
from tests.support.media_peer import MediaPeer, MovingPicture, events_url, media_peer, publish
from tests.support.provisioning import provision

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


def me(peer: MediaPeer) -> str:
    return str(peer.control.events[0]["you"]["participant"])


async def test_a_signalling_flood_is_refused_past_its_allowance(settings: Settings) -> None:
    settings = replace(settings, media_messages_per_second=1.0, media_message_burst=5)
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, control_client(events_url(app, people, "ada")) as ada:
        for _ in range(8):
            await ada.send(type="media.leave")
        refusal = await ada.expect("error", lambda e: "too many audio/video messages" in e["message"])
        assert refusal["request"] == "media.leave"
        # chat has its own allowance: still fine
        await ada.send(type="chat", text="still here")
        await ada.expect("chat")


async def test_candidates_beyond_the_bound_are_refused(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, media_peer(events_url(app, people, "ada")) as ada:
        await ada.join()
        pc_id = await ada.publish()
        await ada.answered(pc_id)
        for n in range(70):
            await ada.control.send(
                type="media.candidate",
                pc=pc_id,
                candidate=f"candidate:{n} 1 udp 2122260223 192.0.2.{n % 250} {40000 + n} typ host",
                sdp_mid="0",
            )
        refusal = await ada.control.expect("error", lambda e: e["request"] == "media.candidate")
        assert "too many ICE candidates" in refusal["message"]


async def test_an_offer_publishing_more_than_a_camera_and_a_microphone_is_refused(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app, media_peer(events_url(app, people, "ada")) as ada:
        await ada.join()
        pc = RTCPeerConnection()
        try:
            pc.addTransceiver(MovingPicture(), direction="sendonly")
            pc.addTransceiver(MovingPicture(), direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            await ada.control.send(type="media.offer", pc="two", stream="camera", sdp=pc.localDescription.sdp)
            refusal = await ada.control.expect("error", lambda e: e["request"] == "media.offer")
            assert "nothing else" in refusal["message"]
        finally:
            await pc.close()
        assert not app.services.media._lines[people.session_id].room.publishers


async def test_a_session_carries_at_most_its_streams(settings: Settings) -> None:
    settings = replace(settings, media_max_streams_per_session=1)
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "bob")) as bob,
    ):
        await publish(ada)
        await bob.join()
        await bob.publish()
        refusal = await bob.control.expect("error", lambda e: e["request"] == "media.offer")
        assert "as many audio/video streams" in refusal["message"]
        await bob.frames_from(me(ada), "video", 5)  # what was there goes on


async def test_media_stays_within_its_session(settings: Settings) -> None:
    one = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    other = await provision(settings, cy=Role.INTERVIEWER, dee=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, one, "ada")) as ada,
        media_peer(events_url(app, one, "bob")) as bob,
        media_peer(events_url(app, other, "cy")) as cy,
        media_peer(events_url(app, other, "dee")) as dee,
    ):
        await publish(ada)
        await publish(cy)
        await bob.join()
        await dee.join()
        await bob.frames_from(me(ada), "video", 10)
        await dee.frames_from(me(cy), "video", 10)
        assert {r.publisher for r in bob.received.values()} == {me(ada)}
        assert {r.publisher for r in dee.received.values()} == {me(cy)}


async def test_a_revoked_link_stops_its_streams(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with (
        live_app(settings) as app,
        media_peer(events_url(app, people, "ada")) as ada,
        media_peer(events_url(app, people, "bob")) as bob,
    ):
        await publish(bob)
        await ada.join()
        await ada.frames_from(me(bob), "video", 10)
        room = app.services.media._lines[people.session_id].room
        forwarded = [t for s in room.subscriptions.values() for t in s.tracks]
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        await app.services.sessions.revoke_link(session, Role.CANDIDATE)
        closed = await bob.control.wait_closed()
        assert closed.rcvd is not None and closed.rcvd.code == 4403
        assert all(t.readyState == "ended" for t in forwarded)
        await ada.control.expect("media.closed")
        await app.services.media.settled(people.session_id)
        assert not room.publishers
