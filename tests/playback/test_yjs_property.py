"""The property: real Yjs clients (Node, the stock y-websocket provider) edit one file
concurrently at random; at sampled server times, once they agree, the test notes the text. Then
the state playback reconstructs at each of those times is that text, and the state at the end
is the live document's."""

from __future__ import annotations

import random
from typing import Any

import anyio
import pytest
from pycrdt import Map

from server.playback.seek import SeekIndex
from server.playback.state import state_at
from server.recording.events import now_ms
from server.sessions.roles import Role
from server.settings import Settings
from server.sync.seed import FILES
from tests.support.live_app import live_app
from tests.support.node_client import NodeClient, node_client
from tests.support.provisioning import provision

pytestmark = [pytest.mark.anyio, pytest.mark.node, pytest.mark.slow]

ROUNDS = 6
DEADLINE = 60.0


async def _files(client: NodeClient) -> dict[str, str]:
    await client.send(op="files")
    files: dict[str, str] = (await client.expect("files"))["files"]
    return files


async def _agreed(clients: list[NodeClient]) -> dict[str, str]:
    """The files once every client has the same (they converge through the server only)."""
    with anyio.fail_after(DEADLINE):
        while True:
            seen = [await _files(c) for c in clients]
            if all(s == seen[0] for s in seen):
                return seen[0]
            await anyio.sleep(0.05)


async def test_states_at_sampled_times_are_what_the_clients_saw(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, nora=Role.CANDIDATE, nick=Role.CANDIDATE)
    rng = random.Random(14)
    samples: list[tuple[int, dict[str, str]]] = []
    async with live_app(settings) as app:
        svc = app.services
        base = f"{app.base}/sync"
        async with (
            node_client(base, people.session_id, people.tokens["ada"], "ada") as ada,
            node_client(base, people.session_id, people.tokens["nora"], "nora") as nora,
            node_client(base, people.session_id, people.tokens["nick"], "nick") as nick,
        ):
            clients = [ada, nora, nick]
            for client in clients:
                await client.expect("synced")
            for _ in range(ROUNDS):
                for client in clients:  # each edits on its own, at once with the others
                    await client.send(
                        op="edit", path="main.py", count=rng.randint(5, 30), gapMs=rng.randint(0, 15)
                    )
                for client in clients:
                    await client.expect("edited")
                files = await _agreed(clients)
                await anyio.sleep(0.005)  # every update the clients saw was stamped before now
                samples.append((now_ms(), files))
                await anyio.sleep(0.005)  # and every later one will be stamped after
            await nick.send(op="quit")
        await svc.events.flush()
        room = svc.rooms.get(people.session_id)
        assert room is not None
        live: Any = room.doc.get(FILES, type=Map)
        live_files = {path: str(live[path]) for path in live}

    store = svc.playback.store
    # seek points every few updates (no margin: the log is complete), so replays start from them
    await SeekIndex(store, every_updates=25, every_ms=2_000, margin_ms=0).extend(
        people.session_id, ended_ms=None
    )
    assert await store.last_point(people.session_id) is not None
    assert len({files["main.py"] for _, files in samples}) == ROUNDS  # each round changed something
    for t, files in samples:
        state = await state_at(store, people.session_id, t)
        assert {f.path: f.text for f in state.files} == files
    final = await state_at(store, people.session_id, now_ms())
    assert {f.path: f.text for f in final.files} == live_files == samples[-1][1]
