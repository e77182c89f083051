"""A hostile participant against live sync, the way an attacker would do it: real sockets, real
frames, a real `duet serve` process whose memory is read from /proc. After each attack another
session is still served and the node reports itself healthy."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import anyio
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from server.sessions.roles import Role
from server.settings import Settings
from server.sync import protocol
from server.sync.protocol import ProtocolError
from tests.support.hostile_checks import another_session_is_served, healthy, peak_memory
from tests.support.live_app import live_app
from tests.support.live_server import LIVE_SECRET, LiveServer, live_server
from tests.support.provisioning import SessionFixture, provision
from tests.support.yclient import frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MIB = 1024 * 1024


def var_uint(value: int) -> bytes:
    return protocol.var_uint(value)


#: A 10-byte sync step 1 whose state vector claims 2^29 entries (pycrdt reserved ~1 GB for it).
STATE_VECTOR_BOMB = protocol.sync_step1(var_uint(2**29) + b"\x01\x01")
#: An update claiming 2^28 clients in a few bytes (pycrdt reserved ~540 MB for it).
UPDATE_HEADER_BOMB = protocol.sync_update(var_uint(2**28) + b"\x00")


@dataclass
class Node:
    server: LiveServer
    target: SessionFixture
    bystander: SessionFixture

    def url(self, people: SessionFixture, name: str) -> str:
        return f"{self.server.ws_url}/sync/{people.session_id}?token={people.tokens[name]}"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture
async def node(tmp_path: Path, database_url: str) -> AsyncIterator[Node]:
    settings = Settings(secret_key=LIVE_SECRET, var_dir=tmp_path, database_url=database_url, sandbox="bwrap")
    target = await provision(settings, ada=Role.INTERVIEWER, mallory=Role.OBSERVER, eve=Role.CANDIDATE)
    bystander = await provision(settings, bob=Role.CANDIDATE)
    with live_server(tmp_path, database_url, extra_env={"DUET_SANDBOX": "bwrap"}) as server:
        yield Node(server, target, bystander)


async def closes_with(url: str, frame: bytes | str) -> int:
    async with connect(url, max_size=None) as ws:
        await ws.send(frame)
        await frames_until_close(ws)
        assert ws.close_code is not None
        return ws.close_code


def test_state_vectors_and_update_headers_are_checked_before_pycrdt_reads_them() -> None:
    with pytest.raises(ProtocolError, match="claims more entries"):
        protocol.check_state_vector(var_uint(2**29) + b"\x01\x01")
    with pytest.raises(ProtocolError, match="trailing"):
        protocol.check_state_vector(b"\x01\x01\x01\x00")
    protocol.check_state_vector(b"\x02\x05\x07\x09\x00")  # two real entries
    with pytest.raises(ProtocolError, match="more clients"):
        protocol.check_update(var_uint(2**28) + b"\x00")
    protocol.check_update(b"\x00\x00")


async def test_a_state_vector_bomb_costs_the_node_nothing(node: Node) -> None:
    before = peak_memory(node.server.process.pid)
    for _ in range(6):  # six of them held /healthz for 11 s and took ~1 GB each
        assert await closes_with(node.url(node.target, "mallory"), STATE_VECTOR_BOMB) == 4400
        assert await closes_with(node.url(node.target, "eve"), UPDATE_HEADER_BOMB) == 4400
    grown = peak_memory(node.server.process.pid) - before
    assert grown < 64 * MIB, f"the node's peak memory grew by {grown / MIB:.0f} MB"
    await healthy(node.server.ws_url)
    await another_session_is_served(
        node.server.ws_url, node.bystander.session_id, node.bystander.tokens["bob"], "ok"
    )


async def test_full_state_requests_from_a_client_that_does_not_read_cost_bounded_memory(node: Node) -> None:
    async with yclient(node.url(node.target, "ada"), "ada") as ada:
        await ada.wait_ack(await ada.insert("main.py", 0, "x" * MIB))
    before = peak_memory(node.server.process.pid)
    # max_queue=1: the client library stops reading after one unread frame
    async with connect(node.url(node.target, "mallory"), max_size=None, max_queue=1) as mallory:
        for _ in range(300):  # 300 four-byte frames once took the node from 126 to 431 MB
            try:
                await mallory.send(protocol.sync_step1(b"\x00"))
            except ConnectionClosed:  # closed by the server on the way: the point is made
                break
        await frames_until_close(mallory)
        assert mallory.close_code == 4429
    grown = peak_memory(node.server.process.pid) - before
    assert grown < 48 * MIB, f"the node's peak memory grew by {grown / MIB:.0f} MB"
    await healthy(node.server.ws_url)


async def test_awareness_is_capped_per_connection_and_per_state(node: Node) -> None:
    url = node.url(node.target, "mallory")
    many = [protocol.AwarenessEntry(1000 + i, 1, b"{}") for i in range(16)]
    assert await closes_with(url, protocol.awareness_frame(protocol.encode_awareness(many))) == 4429
    async with yclient(url, "mallory") as mallory:  # one id at a time: the cap holds too
        for i in range(16):
            if mallory.closed is not None:
                break
            entry = protocol.AwarenessEntry(2000 + i, 1, b"{}")
            await mallory.ws.send(protocol.awareness_frame(protocol.encode_awareness([entry])))
        closed = await mallory.wait_closed()
        assert closed.rcvd is not None and closed.rcvd.code == 4429
    huge = [protocol.AwarenessEntry(3000, 1, json.dumps({"file": "x" * 8000}).encode())]
    assert await closes_with(url, protocol.awareness_frame(protocol.encode_awareness(huge))) == 4413
    # the most one connection may publish, and what a joiner then receives: a few bounded states
    # (16,384 ids from one observer once made every joiner's first awareness frame 18 MB)
    largest = json.dumps({"file": "x" * 4000}).encode()
    async with yclient(url, "mallory") as mallory:
        most = [protocol.AwarenessEntry(4000 + i, 1, largest) for i in range(4)]
        await mallory.ws.send(protocol.awareness_frame(protocol.encode_awareness(most)))
        async with yclient(node.url(node.target, "ada"), "joiner") as joiner:
            await joiner.wait_for(lambda: len(joiner.awareness) == 4, "mallory's four states")
            assert mallory.closed is None
            awareness = [f for f in joiner.frames if f[0] == protocol.MessageType.AWARENESS]
            assert max(len(f) for f in awareness) < 20 * 1024
    await another_session_is_served(
        node.server.ws_url, node.bystander.session_id, node.bystander.tokens["bob"], "a"
    )


async def awareness_seen(sender_url: str, viewer_url: str, state: bytes) -> tuple[int | None, object]:
    """Send ``state`` as one awareness entry: the sender's close code when it was refused, else
    what the viewer received."""
    async with yclient(viewer_url, "viewer") as viewer, yclient(sender_url, "sender") as sender:
        entry = protocol.AwarenessEntry(sender.doc.client_id, 1, state)
        await sender.ws.send(protocol.awareness_frame(protocol.encode_awareness([entry])))
        with anyio.fail_after(20):
            while sender.closed is None and sender.doc.client_id not in viewer.awareness:
                viewer.changed = anyio.Event()
                async with anyio.create_task_group() as tg:

                    async def first(event: anyio.Event) -> None:
                        await event.wait()
                        tg.cancel_scope.cancel()

                    tg.start_soon(first, viewer.changed)
                    tg.start_soon(first, sender.closed_event)
        if sender.closed is not None:
            return (sender.closed.rcvd.code if sender.closed.rcvd else None), None
        return None, viewer.awareness[sender.doc.client_id]


async def test_awareness_states_reach_other_browsers_as_json_they_read(node: Node) -> None:
    eve, ada = node.url(node.target, "eve"), node.url(node.target, "ada")
    for hostile in (b'{"x": NaN}', b'{"x": 1e400}', b'{"x": 9007199254740993}', b'{"x": Infinity}'):
        code, _ = await awareness_seen(eve, ada, hostile)
        assert code == 4400, hostile
    styled = {
        "user": {
            "color": "red; background-image: url(https://evil.example/t)",
            "colorLight": "hsl(10 80% 42% / 0.18)",
        },
        "cursor": {"anchor": "<img src=x>", "head": 7},
        "file": "main.py",
    }
    code, seen = await awareness_seen(eve, ada, json.dumps(styled).encode())
    assert code is None and isinstance(seen, dict)
    assert "color" not in seen["user"] and seen["user"]["colorLight"] == "hsl(10 80% 42% / 0.18)"
    assert seen["user"]["name"] == "eve" and seen["cursor"] is None and seen["file"] == "main.py"


async def test_one_person_cannot_crowd_others_out(tmp_path: Path) -> None:
    settings = Settings(
        secret_key=LIVE_SECRET,
        var_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'duet.db'}",
        sandbox="bwrap",
    )
    settings = replace(
        settings, live_sockets_per_participant=3, live_sockets_per_session=6, live_editor_reserve=2
    )
    people = await provision(
        settings, ada=Role.INTERVIEWER, o1=Role.OBSERVER, o2=Role.OBSERVER, eve=Role.CANDIDATE
    )
    async with live_app(settings) as app:
        url = app.urls(people)
        async with (
            yclient(url("o1"), "o1 a"),
            yclient(url("o1"), "o1 b"),
            yclient(url("o1"), "o1 c"),
        ):
            # a fourth socket for the same person is refused
            async with connect(url("o1")) as extra:
                await frames_until_close(extra)
                assert extra.close_code == 4429 and "connections open" in (extra.close_reason or "")
            async with yclient(url("o2"), "o2 a"):
                # the viewers' share (6 - 2 reserved) is full: another viewer waits outside...
                async with connect(url("o2")) as extra:
                    await frames_until_close(extra)
                    assert extra.close_code == 4429 and "viewers" in (extra.close_reason or "")
                # ...and the candidate still gets in, and edits
                async with yclient(url("eve"), "eve") as eve:
                    await eve.wait_ack(await eve.insert("main.py", 0, "in"))


async def test_the_document_has_a_size_cap(tmp_path: Path) -> None:
    settings = Settings(
        secret_key=LIVE_SECRET,
        var_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'duet.db'}",
        sandbox="bwrap",
        sync_max_document_bytes=300 * 1024,
    )
    people = await provision(settings, eve=Role.CANDIDATE, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        url = app.urls(people)
        async with yclient(url("eve"), "eve") as eve:
            for _ in range(2):
                await eve.wait_ack(await eve.insert("main.py", 0, "y" * 100 * 1024))
            await eve.insert("main.py", 0, "z" * 200 * 1024)  # past the cap
            closed = await eve.wait_closed()
            assert closed.rcvd is not None and closed.rcvd.code == 4413
        async with yclient(url("ada"), "ada") as ada:
            assert ada.text("main.py") == "y" * 200 * 1024  # what was accepted, and nothing more
            await ada.wait_ack(await ada.insert("main.py", 0, "small edits still fit"))
