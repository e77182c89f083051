"""Notes, signals, ending the session and the run's recorded files, attacked: the wrong role,
oversize and malformed messages, floods, and everything after the end. Each refusal changes
nothing (nothing delivered, nothing recorded, the session still live)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from server.control.commands import MAX_PASTE_CHARS
from server.sessions.lifecycle import SessionState
from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import ControlClient, control_client
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import SessionFixture, provision
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


async def recorded_kinds(app: LiveApp, people: SessionFixture) -> list[str]:
    await app.services.events.flush()
    return [e.kind for e in await app.services.recording.read(people.session_id)]


async def refused(client: ControlClient, request: str, why: str) -> None:
    error = await client.expect("error", lambda e: e["request"] == request and why in e["message"])
    client.events.remove(error)  # the next refusal must be a new one


async def test_notes_and_the_end_are_for_interviewers_signals_for_participants(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "bob")) as bob,
            control_client(events_url(app, people, "olga")) as olga,
        ):
            for guest in (bob, olga):
                await guest.send(type="note", text="I am an interviewer, honest")
                await refused(guest, "note", "only interviewers")
                await guest.send(type="session.end")
                await refused(guest, "session.end", "only interviewers")
            # the interviewer's own signals are taken too (facts about everyone, seen by interviewers)
            await ada.send(type="signal", kind="focus", state="lost")
            await ada.expect("signal", lambda e: e["from"] == "ada")
            await ada.send(type="chat", text="still live")
            for client in (bob, olga):
                await client.expect("chat", lambda e: e["text"] == "still live")
                assert client.closed is None
            assert not [e for e in ada.events if e["type"] == "note"]
        assert "note" not in await recorded_kinds(app, people)
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        assert session.state is SessionState.LIVE


BAD_FRAMES = [
    {"type": "note", "text": "x" * 8001},
    {"type": "note", "text": ""},
    {"type": "note", "text": 42},
    {"type": "signal", "kind": "paste", "chars": MAX_PASTE_CHARS + 1, "external": True},
    {"type": "signal", "kind": "paste", "chars": -1, "external": False},
    {"type": "signal", "kind": "paste", "chars": 10},
    {"type": "signal", "kind": "focus", "state": "hidden"},
    {"type": "signal", "kind": "visibility", "state": "lost"},
    {"type": "signal", "kind": "clipboard", "state": "lost"},
    {"type": "signal", "kind": "focus", "state": "lost", "verdict": "cheating"},
    {"type": "signal"},
    {"type": "session.end", "reason": "because"},
    {"type": "run.files", "run_id": "x", "files": {"main.py": "forged"}},
]


@pytest.mark.parametrize("frame", BAD_FRAMES, ids=lambda f: json.dumps(f)[:60])
async def test_malformed_and_oversize_commands_close_the_socket_and_change_nothing(
    settings: Settings, frame: dict[str, object]
) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with control_client(events_url(app, people, "ada")) as ada:
            async with control_client(events_url(app, people, "bob")) as bob:
                await bob.send(**frame)
                closed = await bob.wait_closed()
                assert closed.rcvd is not None and closed.rcvd.code == 4400
            # the interviewer of the session saw none of it; the channel goes on
            await ada.send(type="chat", text="still here")
            await ada.expect("chat")
            assert {e["type"] for e in ada.events} == {"hello", "chat"}
        assert await recorded_kinds(app, people) == ["chat"]


async def test_notes_and_signals_floods_are_refused_per_person(settings: Settings) -> None:
    settings = replace(
        settings,
        control_chat_burst=3,
        control_chat_per_minute=1,
        control_signal_burst=4,
        control_signals_per_minute=1,
    )
    people = await provision(settings, ada=Role.INTERVIEWER, ian=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "ian")) as ian,
            control_client(events_url(app, people, "bob")) as bob_one,
            control_client(events_url(app, people, "bob")) as bob_two,
        ):
            for i in range(10):
                await ada.send(type="note", text=f"note {i} " + "x" * 7000)
            await refused(ada, "note", "too fast")
            for i in range(12):  # over two sockets: the allowance is the person's
                await (bob_one if i % 2 else bob_two).send(
                    type="signal", kind="paste", chars=i, external=False
                )
            await refused(bob_one, "signal", "too many signals")
            # notes and chat share what a person may type
            await ada.send(type="chat", text="and chat?")
            await refused(ada, "chat", "too fast")
            await ian.send(type="chat", text="done")
            await ada.expect("chat", lambda e: e["text"] == "done")
            notes = [e for e in ian.events if e["type"] == "note"]
            signals = [e for e in ian.events if e["type"] == "signal"]
            assert 1 <= len(notes) <= 4 and 1 <= len(signals) <= 5
            assert bob_one.closed is None and bob_two.closed is None and ada.closed is None
        kinds = await recorded_kinds(app, people)
        assert (kinds.count("note"), kinds.count("signal")) == (len(notes), len(signals))


async def test_notes_over_the_recording_allowance_are_refused(settings: Settings) -> None:
    settings = replace(settings, recording_bytes_per_minute=20_000)
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        async with control_client(events_url(app, people, "ada")) as ada:
            for i in range(4):
                await ada.send(type="note", text=f"{i} " + "x" * 7900)
            await refused(ada, "note", "recording allowance")
            await ada.expect("note", lambda e: e["text"].startswith("1 "))
            delivered = len([e for e in ada.events if e["type"] == "note"])
        assert (await recorded_kinds(app, people)).count("note") == delivered == 2


async def test_an_interviewer_ends_the_session_for_everyone_and_nothing_is_taken_after(
    settings: Settings,
) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        async with (
            yclient(app.url(people.session_id, people.tokens["bob"]), "bob") as bob_sync,
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "bob")) as bob,
            control_client(events_url(app, people, "olga")) as olga,
        ):
            await ada.send(type="chat", text="thank you")
            await ada.send(type="session.end")
            await ada.expect("session.ended")
            for guest in (bob, olga):
                await guest.expect("chat", lambda e: e["text"] == "thank you")
                closed = await guest.wait_closed()
                assert closed.rcvd is not None and closed.rcvd.code == 4403
            assert (await bob_sync.wait_closed()).rcvd is not None
            for command in (
                {"type": "note", "text": "late"},
                {"type": "signal", "kind": "focus", "state": "lost"},
                {"type": "chat", "text": "late"},
                {"type": "session.end"},
            ):
                await ada.send(**command)
                await refused(ada, str(command["type"]), "")
        # an interviewer may still open the ended session, and do none of it there either
        async with control_client(events_url(app, people, "ada")) as again:
            assert again.events[0]["you"]["can_run"] is False
            await again.send(type="note", text="late")
            await refused(again, "note", "only interviewers write notes in a live session")
            await again.send(type="session.end")
            await refused(again, "session.end", "only interviewers end a live session")
            await again.send(type="signal", kind="visibility", state="hidden")
            await refused(again, "signal", "cannot send signals")
        session = await app.services.sessions.get(people.session_id, org_id=people.org_id)
        assert session.state is SessionState.ENDED
        kinds = await recorded_kinds(app, people)
        assert kinds.count("session.ended") == 1 and "note" not in kinds and "signal" not in kinds
        assert kinds.index("chat") < kinds.index("session.ended")


async def test_a_run_records_the_files_it_got_and_sends_them_to_nobody(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with yclient(app.url(people.session_id, people.tokens["bob"]), "bob") as editor:
            await editor.wait_ack(await editor.insert("main.py", 0, "import util\nprint(util.X)\n"))
            await editor.wait_ack(await editor.insert("util.py", 0, "X = 'from util'\n"))
            async with (
                control_client(events_url(app, people, "ada")) as ada,
                control_client(events_url(app, people, "bob")) as bob,
            ):
                await bob.send(type="run.start", file="main.py")
                finished = await ada.expect("run.finished")
                assert finished["result"]["status"] == "ok"
                assert "from util" in ada.output(finished["run_id"])
                await bob.expect("run.finished")
                for client in (ada, bob):
                    assert "run.files" not in {e["type"] for e in client.events}
        await app.services.events.flush()
        recorded = await app.services.recording.read(people.session_id)
        kinds = [e.kind for e in recorded]
        assert kinds.index("run.files") < kinds.index("run.started")
        files = json.loads(next(e.data for e in recorded if e.kind == "run.files"))
        assert files["run_id"] == finished["run_id"]
        assert files["files"]["main.py"] == "import util\nprint(util.X)\n"
        assert files["files"]["util.py"] == "X = 'from util'\n"
        assert next(e.author for e in recorded if e.kind == "run.files") is not None
        # a latecomer's history leaves it out too
        async with control_client(events_url(app, people, "ada")) as late:
            assert "run.files" not in {e["type"] for e in late.events[0]["history"]}
