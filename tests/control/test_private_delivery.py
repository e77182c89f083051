"""Interviewers' notes and participants' integrity signals reach interviewers only: every byte a
candidate and an observer receive, on both their sockets (sync and control), on two nodes over
Redis and PostgreSQL, is read, and none of it is a note or a signal."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from server.control.events import PRIVATE
from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import ControlClient, control_client
from tests.support.databases import fresh_postgres
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import SessionFixture, provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with fresh_postgres() as url:
        yield url


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


def is_paste_from(name: str) -> Any:
    return lambda e: e["kind"] == "paste" and e["from"] == name and e["chars"] == 1234 and e["external"]


def private_frames(client: ControlClient) -> list[str | bytes]:
    return [f for f, e in zip(client.frames, client.events, strict=True) if e.get("type") in PRIVATE]


async def test_notes_and_signals_reach_interviewers_only_on_every_node(settings: Settings) -> None:
    settings = replace(settings, redis_url=redis_url(), redis_prefix=unique_prefix())
    people = await provision(
        settings, ada=Role.INTERVIEWER, ian=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER
    )
    marker = "NOTE-MARKER-" + secrets.token_hex(8)
    async with live_app(settings) as a, live_app(settings) as b:
        async with (
            yclient(a.url(people.session_id, people.tokens["bob"]), "bob") as bob_sync,
            yclient(b.url(people.session_id, people.tokens["olga"]), "olga") as olga_sync,
            control_client(events_url(a, people, "bob")) as bob,
            control_client(events_url(b, people, "olga")) as olga,
            control_client(events_url(a, people, "ada")) as ada,
            control_client(events_url(b, people, "ian")) as ian,
        ):
            await bob_sync.wait_ack(await bob_sync.insert("main.py", 0, "print('hi')\n"))
            for i in range(5):
                await ada.send(type="note", text=f"{marker} {i}")
            await bob.send(type="signal", kind="paste", chars=1234, external=True)
            await bob.send(type="signal", kind="focus", state="lost")
            await olga.send(type="signal", kind="visibility", state="hidden")
            for interviewer in (ada, ian):  # on the author's node and on the other one
                note = await interviewer.expect("note", lambda e: e["text"] == f"{marker} 4")
                assert note["from"] == "ada"
                paste = await interviewer.expect("signal", is_paste_from("bob"))
                assert paste["role"] == "candidate" and paste["state"] is None
                await interviewer.expect("signal", lambda e: e["kind"] == "focus" and e["state"] == "lost")
                hidden = await interviewer.expect("signal", lambda e: e["kind"] == "visibility")
                assert (hidden["from"], hidden["role"], hidden["state"]) == ("olga", "observer", "hidden")
            # everything above is delivered on both nodes; a chat sent now comes after it for everyone
            await ada.send(type="chat", text="after the notes")
            for guest in (bob, olga):
                await guest.expect("chat", lambda e: e["text"] == "after the notes")
            await olga_sync.wait_for_text("main.py", lambda text: text == "print('hi')\n")
            # the interviewers' sockets did carry them (the check below is not vacuous)
            for interviewer in (ada, ian):
                assert sum(marker in str(f) for f in interviewer.frames) == 5
                assert len(private_frames(interviewer)) == 5 + 3
            for guest in (bob, olga):
                assert guest.frames and all(marker not in str(f) for f in guest.frames)
                assert not private_frames(guest), private_frames(guest)
                assert all('"kind":"paste"' not in str(f) for f in guest.frames)
            for sync in (bob_sync, olga_sync):
                assert sync.frames and all(marker.encode() not in f for f in sync.frames)
                assert all(b'"kind":"paste"' not in f and b'"type":"note"' not in f for f in sync.frames)
        # the history a joiner gets, on either node, follows the same rule
        for app in (a, b):
            async with (
                control_client(events_url(app, people, "bob")) as bob_again,
                control_client(events_url(app, people, "olga")) as olga_again,
                control_client(events_url(app, people, "ian")) as ian_again,
            ):
                for guest in (bob_again, olga_again):
                    history = guest.events[0]["history"]
                    assert [e["type"] for e in history] == ["chat"]
                    assert marker not in str(guest.frames[0])
                kinds = [e["type"] for e in ian_again.events[0]["history"]]
                assert (kinds.count("note"), kinds.count("signal"), kinds[-1]) == (5, 3, "chat")
        recorded = await a.services.recording.read(people.session_id)
        notes = [json.loads(e.data) for e in recorded if e.kind == "note"]
        assert [n["text"] for n in notes] == [f"{marker} {i}" for i in range(5)]
        authors = {e.kind: e.author for e in recorded if e.kind in PRIVATE}
        assert authors["note"] is not None and authors["signal"] is not None
