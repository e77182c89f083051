"""A hostile participant against the control channel, the way an attacker would do it: real
sockets, real runs in bubblewrap, real terminals. Each attack ends with the node serving
another session and reporting itself healthy."""

from __future__ import annotations

import json
import socket
import time
from base64 import b64encode
from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from websockets.asyncio.client import connect

from server.control.hub import HISTORY_BYTES, HISTORY_EVENTS
from server.recording.events import NewEvent
from server.sessions.roles import Role
from server.settings import Settings
from server.web.ws.socket import INBOX_FULL
from tests.support.control_client import control_client
from tests.support.hostile_checks import another_session_is_served, healthy
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import SessionFixture, provision
from tests.support.yclient import frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


async def add_files(app: LiveApp, people: SessionFixture, name: str, files: dict[str, str]) -> None:
    async with yclient(app.url(people.session_id, people.tokens[name]), name) as editor:
        for path, content in files.items():
            await editor.wait_ack(await editor.insert(path, 0, content))


async def bystander_is_fine(app: LiveApp, bystander: SessionFixture) -> None:
    await healthy(app.base)
    await another_session_is_served(app.base, bystander.session_id, bystander.tokens["bob"], "still here")
    async with control_client(events_url(app, bystander, "bob")) as bob:
        await bob.send(type="chat", text="anyone?")
        await bob.expect("chat", lambda e: e["text"] == "anyone?")


async def test_files_no_work_dir_can_hold_fail_only_that_run(settings: Settings) -> None:
    """`a` beside `a/b` (NotADirectoryError) and a 260-byte name (ENAMETOOLONG) once ended the
    hub's task group, and every service of the node with it."""
    folder = await provision(settings, eve=Role.CANDIDATE)
    long_name = await provision(settings, eve=Role.CANDIDATE)
    bystander = await provision(settings, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        await add_files(app, folder, "eve", {"main.py": "print(1)", "a": "file", "a/b": "inside a file"})
        await add_files(app, long_name, "eve", {"main.py": "print(1)", "é" * 130 + ".py": "print(2)"})
        for people, why in ((folder, "both a file and a folder"), (long_name, "255 bytes")):
            async with control_client(events_url(app, people, "eve")) as eve:
                await eve.send(type="run.start", file="main.py")
                assert why in (await eve.expect("run.finished"))["error"]
                await eve.send(type="terminal.open", language="python")
                assert (
                    why
                    in (await eve.expect("error", lambda e: e.get("request") == "terminal.open"))["message"]
                )
                await eve.expect("terminal.closed")  # the session may try again
            await bystander_is_fine(app, bystander)


async def test_chat_floods_are_refused_per_person(settings: Settings) -> None:
    settings = replace(settings, control_chat_burst=5, control_chat_per_minute=6)
    people = await provision(settings, ada=Role.INTERVIEWER, eve=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "eve")) as eve_one,
            control_client(events_url(app, people, "eve")) as eve_two,
        ):
            for i in range(20):  # spread over two sockets: the allowance is the person's
                await (eve_one if i % 2 else eve_two).send(type="chat", text=f"spam {i} " + "x" * 3900)
            await eve_one.expect("error", lambda e: "too fast" in e["message"])
            await ada.send(type="chat", text="done?")
            await ada.expect("chat", lambda e: e["text"] == "done?")
            spam = [e for e in ada.events if e["type"] == "chat" and e["text"].startswith("spam")]
            assert len(spam) <= 6  # the burst, and what refilled meanwhile
            assert eve_one.closed is None and eve_two.closed is None
        await app.services.events.flush()
        chat = [e for e in await app.services.recording.read(people.session_id) if e.kind == "chat"]
        assert len(chat) == len(spam) + 1  # what was recorded is what was shown


async def test_the_control_channel_caps_frames_sockets_and_early_messages(settings: Settings) -> None:
    settings = replace(settings, live_sockets_per_participant=2)
    people = await provision(settings, ada=Role.INTERVIEWER, eve=Role.CANDIDATE)
    bystander = await provision(settings, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        url = events_url(app, people, "eve")
        # a frame over the cap is refused as it arrives, at the protocol level
        async with connect(url, max_size=None) as ws:
            await ws.recv()  # hello
            await ws.send(
                json.dumps({"type": "chat", "text": "x" * (settings.control_max_message_bytes + 1)})
            )
            await frames_until_close(ws)
            assert ws.close_code == 1009
        # a person's sockets are capped (300 for one token were accepted once)
        async with control_client(url), control_client(url), connect(url) as third:
            await frames_until_close(third)
            assert third.close_code == 4429
        # messages waiting for the handler (while the token is checked, or a command handled)
        assert await flood_before_hello(app, people, "eve", frames=300) == (4429, INBOX_FULL)
        await bystander_is_fine(app, bystander)


async def flood_before_hello(
    app: LiveApp, people: SessionFixture, name: str, *, frames: int
) -> tuple[int, str]:
    """Open the control socket by hand and, once the handshake is answered, write ``frames``
    messages at once: they arrive in one read, faster than any handler takes them. Returns the
    close code and reason the server answers with."""
    port = int(app.base.rsplit(":", 1)[1])
    key = b64encode(b"0123456789abcdef").decode()
    path = f"/sessions/{people.session_id}/events?token={people.tokens[name]}"
    frame = _masked_text(json.dumps({"type": "chat", "text": "early"}).encode())

    def exchange() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            raw.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            received = b""
            while b"\r\n\r\n" not in received:  # the 101: frames may follow only now (RFC 6455)
                received += raw.recv(65536)
            raw.sendall(frame * frames)
            while True:
                body = received.partition(b"\r\n\r\n")[2]
                if b"\x88" in body and len(body) - body.index(b"\x88") >= 4:
                    return body[body.index(b"\x88") :]
                chunk = raw.recv(65536)
                if not chunk:
                    raise AssertionError(f"closed without a close frame: {received[-200:]!r}")
                received += chunk

    close = await anyio.to_thread.run_sync(exchange)
    length = close[1] & 0x7F
    return int.from_bytes(close[2:4], "big"), close[4 : 2 + length].decode(errors="replace")


def _masked_text(payload: bytes) -> bytes:
    mask = b"\x01\x02\x03\x04"
    assert len(payload) < 126
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


async def test_history_is_the_newest_events_and_bounded(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        for i in range(HISTORY_EVENTS * 3):
            text = f"message {i} " + "x" * 8000
            event = {"type": "chat", "from": "ada", "role": "interviewer", "text": text, "ts": i}
            app.services.events.append_nowait(NewEvent(people.session_id, "chat", json.dumps(event).encode()))
        await app.services.events.flush()
        async with control_client(events_url(app, people, "ada")) as ada:
            history = ada.events[0]["history"]
        assert 0 < len(history) <= HISTORY_EVENTS
        assert sum(len(json.dumps(e)) for e in history) <= HISTORY_BYTES + 4096
        assert history[-1]["text"].startswith(f"message {HISTORY_EVENTS * 3 - 1} ")  # the newest


async def test_a_terminal_is_a_run_with_cpu_output_and_recording_limits(settings: Settings) -> None:
    settings = replace(
        settings,
        terminal_output_bytes=256 * 1024,
        terminal_cpu_seconds=1,
        recording_bytes_per_minute=8 * 1024 * 1024,
    )
    people = await provision(settings, ada=Role.INTERVIEWER, olga=Role.OBSERVER)
    bystander = await provision(settings, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "olga")) as olga,
        ):
            # `yes` once wrote 58 MB in 10 s, every byte recorded
            await ada.send(type="terminal.open", language="bash")
            await ada.expect("terminal.opened")
            await ada.send(type="terminal.input", data="yes\n")
            closed = await olga.expect("terminal.closed")
            assert "printed more than" in closed["reason"]
            seen = olga.joined("terminal.output")
            assert len(seen.encode()) <= settings.terminal_output_bytes
            # a CPU hog is ended by the CPU limit
            await ada.send(type="terminal.open", language="python")
            await ada.expect_text("terminal.output", ">>>")
            await ada.send(type="terminal.input", data="while True: pass\n\n")
            closed = await olga.expect("terminal.closed", lambda e: "CPU" in e.get("reason", ""))
            assert "used more than 1 s of CPU" in closed["reason"]
        await app.services.events.flush()
        recorded = [
            json.loads(e.data)["data"]
            for e in await app.services.recording.read(people.session_id)
            if e.kind == "terminal.output"
        ]
        assert "".join(recorded).startswith(seen)  # what was recorded is what was seen live
        assert len("".join(recorded).encode()) <= 2 * settings.terminal_output_bytes
        await bystander_is_fine(app, bystander)


async def test_a_terminal_takes_an_execution_slot(settings: Settings) -> None:
    settings = replace(settings, exec_slots=1)
    people = await provision(settings, ada=Role.INTERVIEWER)
    other = await provision(settings, bob=Role.INTERVIEWER)
    async with live_app(settings) as app:
        await add_files(app, other, "bob", {"main.py": "print('ran')"})
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, other, "bob")) as bob,
        ):
            await ada.send(type="terminal.open", language="python")
            await ada.expect_text("terminal.output", ">>>")
            await bob.send(type="run.start", file="main.py")
            queued = await bob.expect("run.queued")
            assert queued["position"] == 1  # waits for the terminal's slot
            assert not any(e["type"] == "run.finished" for e in bob.events)
            await ada.send(type="terminal.close")
            finished = await bob.expect("run.finished")
            assert finished["result"]["status"] == "ok" and bob.output(finished["run_id"]) == "ran\n"


async def test_a_session_recording_allowance_slows_output_down(settings: Settings) -> None:
    """Past the session's allowance, output waits: a program printing 900 KB against a 256 KB a
    minute allowance fills its pipe and runs out of wall time, and everything it printed until
    then was both shown and recorded. The allowance counts what is recorded, not what was
    printed: quotes take twice their size in the recorded JSON."""
    settings = replace(settings, recording_bytes_per_minute=256 * 1024)
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        program = "import sys\nfor _ in range(900):\n    sys.stdout.write('\"' * 1023 + '\\n')\n"
        await add_files(app, people, "ada", {"main.py": program})
        async with control_client(events_url(app, people, "ada")) as ada:
            started = time.monotonic()
            await ada.send(type="run.start", file="main.py")
            finished = await ada.expect("run.finished")
            elapsed = time.monotonic() - started
            shown = ada.output(finished["run_id"])
        assert finished["result"]["status"] == "time_limit", finished
        assert len(shown) < 900 * 1024
        await app.services.events.flush()
        outputs = [e for e in await app.services.recording.read(people.session_id) if e.kind == "run.output"]
        assert "".join(json.loads(e.data)["data"] for e in outputs) == shown
        allowance = settings.recording_bytes_per_minute * (1 + elapsed / 60)
        assert sum(len(e.data) for e in outputs) <= allowance + 4096
