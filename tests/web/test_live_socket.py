"""The live websockets' own layer (server/web/ws/socket.py, routes.py) on the wire: fragmented
messages, the RFC's close codes, pings, server shutdown, and other paths going to the app."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.sessions.roles import Role
from server.settings import Settings
from server.sync import protocol
from tests.support.live_app import live_app
from tests.support.provisioning import provision
from tests.support.yclient import DEADLINE, yclient

pytestmark = pytest.mark.anyio


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


async def test_a_fragmented_update_is_joined_and_accepted(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("ada"), "ada") as ada, yclient(url("bob"), "bob") as bob:
            before = bob.doc.get_state()
            bob.files["main.py"].insert(0, "in pieces")
            frame = protocol.sync_update(bob.doc.get_update(before))
            # one message in several frames: a first frame, then continuations
            await bob.ws.send([frame[:3], frame[3:7], frame[7:]])
            await ada.wait_for(lambda: "in pieces" in ada.text("main.py"), "the fragmented update")


async def test_protocol_violations_get_the_rfc_close_codes(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        sync_url = app.url(people.session_id, people.tokens["ada"])
        events_url = f"{app.base}/sessions/{people.session_id}/events?token={people.tokens['ada']}"
        cap = 2 * settings.sync_max_message_bytes
        async with connect(sync_url, max_size=None, open_timeout=DEADLINE) as ws:
            chunk = b"\x00" * (1024 * 1024)
            with pytest.raises(ConnectionClosed) as too_big:
                await ws.send([chunk] * (cap // len(chunk) + 2))
                with anyio.fail_after(DEADLINE):
                    while True:
                        await ws.recv()
            assert too_big.value.rcvd is not None and too_big.value.rcvd.code == 1009
        async with connect(events_url, open_timeout=DEADLINE) as ws:
            await ws.recv()  # hello
            await ws.send(b"\xff\xfe not utf-8", text=True)
            with pytest.raises(ConnectionClosed) as bad_text, anyio.fail_after(DEADLINE):
                while True:
                    await ws.recv()
            assert bad_text.value.rcvd is not None and bad_text.value.rcvd.code == 1007
        async with connect(sync_url, open_timeout=DEADLINE) as ws:
            pong = await ws.ping(b"are you there")
            with anyio.fail_after(DEADLINE):
                await pong


async def test_server_shutdown_closes_live_sockets_with_1012(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with AsyncExitStack() as outliving:  # the socket outlives the server
        async with live_app(settings) as app:
            url = app.url(people.session_id, people.tokens["ada"])
            ws = await outliving.enter_async_context(connect(url, open_timeout=DEADLINE))
            await ws.recv()  # sync step 1: the room is live
        with pytest.raises(ConnectionClosed) as closed, anyio.fail_after(DEADLINE):
            while True:
                await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012


async def test_other_websocket_paths_go_to_the_app(settings: Settings) -> None:
    async with live_app(settings) as app:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{app.base}/no/such/socket", open_timeout=DEADLINE):
                pass
        assert refused.value.response.status_code == 403  # Starlette's answer to an unknown route
        async with connect(f"{app.base}/sync/nope?token=nope", open_timeout=DEADLINE) as ws:
            with pytest.raises(ConnectionClosed) as closed, anyio.fail_after(DEADLINE):
                await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_an_upgrade_picows_refuses_gets_400_and_leaves_no_handler_behind(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        host, port = app.base.removeprefix("ws://").split(":")
        target = f"/sync/{people.session_id}?token={people.tokens['ada']}"
        stream = await anyio.connect_tcp(host, int(port))
        async with stream:
            # an upgrade without Sec-WebSocket-Key: uvicorn hands it over, picows refuses it
            await stream.send(
                f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            with anyio.fail_after(DEADLINE):
                answer = await stream.receive()
        assert answer.startswith(b"HTTP/1.1 400")
        # nothing was started for it: the server stops at once (it waits for every handler)
    assert app.services.sync.rooms.get(people.session_id) is None
