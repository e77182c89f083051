"""The run console, terminal and chat over real websockets, with the real bwrap engine."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import control_client
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import SessionFixture, provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture(params=["in-process", pytest.param("redis-queue", marks=pytest.mark.redis)])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """Every console test twice: runs in this process, and through the Redis run queue to a
    worker (the server's own, here) as with `duet worker`."""
    if request.param == "in-process":
        return settings
    return replace(settings, redis_url=redis_url(), redis_prefix=unique_prefix(), exec_in_process_worker=True)


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


async def write_file(app: LiveApp, people: SessionFixture, path: str, content: str) -> None:
    async with yclient(app.url(people.session_id, people.tokens["ada"]), "editor") as editor:
        await editor.wait_ack(await editor.insert(path, 0, content))


async def test_a_run_streams_to_everyone_and_is_recorded(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        await write_file(app, people, "main.py", "print('got', input())")
        async with (
            control_client(events_url(app, people, "bob")) as bob,
            control_client(events_url(app, people, "olga")) as olga,
        ):
            await bob.send(type="run.start", stdin="hi\n")
            started = await olga.expect("run.started")
            assert (started["by"], started["file"], started["language"]) == ("bob", "main.py", "python")
            finished = await olga.expect("run.finished")
            assert finished["result"]["status"] == "ok" and olga.output(started["run_id"]) == "got hi\n"
            await bob.expect("run.finished")
            # the observer watches but cannot run
            await olga.send(type="run.start")
            error = await olga.expect("error")
            assert "cannot run" in error["message"]
        await app.services.events.flush()
        kinds = [e.kind for e in await app.services.recording.read(people.session_id)]
        assert {"run.started", "run.output", "run.finished"} <= set(kinds)
        # a latecomer gets the console's history
        async with control_client(events_url(app, people, "ada")) as ada:
            hello = ada.events[0]
            assert [e["type"] for e in hello["history"]][-1] == "run.finished"


async def test_interactive_stdin_stop_and_one_run_at_a_time(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        await write_file(
            app, people, "main.py", "name = input()\nprint('hello', name, flush=True)\nwhile True: pass\n"
        )
        async with (
            control_client(events_url(app, people, "bob")) as bob,
            control_client(events_url(app, people, "ada")) as ada,
        ):
            await bob.send(type="run.start")
            run_id = (await ada.expect("run.started"))["run_id"]
            await ada.send(type="run.start")
            assert "already going" in (await ada.expect("error"))["message"]
            await bob.send(type="run.stdin", run_id=run_id, data="Grace\n")
            await ada.expect_text("run.output", "hello Grace")
            await ada.send(type="run.stop", run_id=run_id)
            finished = await bob.expect("run.finished")
            assert finished["result"]["stopped"] is True and finished["result"]["status"] == "runtime_error"


async def test_test_mode_reports_tests(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    async with live_app(settings) as app:
        await write_file(app, people, "main.py", "def add(a, b):\n    return a + b\n")
        await write_file(
            app,
            people,
            "test_main.py",
            "from main import add\n\ndef test_add():\n    assert add(1, 2) == 3\n\n"
            "def test_wrong():\n    assert add(1, 1) == 3\n",
        )
        async with control_client(events_url(app, people, "ada")) as ada:
            await ada.send(type="run.start", mode="test", file="main.py")
            result = (await ada.expect("run.finished"))["result"]
            assert [(t["name"], t["status"]) for t in result["tests"]] == [
                ("test_add", "passed"),
                ("test_wrong", "failed"),
            ]
            assert (result["tampered"], result["evidence"]) == (False, [])


async def test_a_forged_test_report_is_shown_tampered(settings: Settings) -> None:
    """A solution that writes a passing report and exits: the summary says tampered, with why."""
    people = await provision(settings, ada=Role.INTERVIEWER)
    forged = json.dumps({"name": "test_wrong", "status": "passed", "message": ""})
    async with live_app(settings) as app:
        await write_file(
            app,
            people,
            "main.py",
            f"import os\nopen('/results/report.jsonl', 'a').write({forged!r} + '\\n')\nos._exit(0)\n",
        )
        await write_file(
            app, people, "test_main.py", "import main\n\n\ndef test_wrong():\n    assert False\n"
        )
        async with control_client(events_url(app, people, "ada")) as ada:
            await ada.send(type="run.start", mode="test", file="main.py")
            result = (await ada.expect("run.finished"))["result"]
            assert result["tampered"] and [t["status"] for t in result["tests"]] == ["failed"], result
            assert any("not finished by the harness" in line for line in result["evidence"]), result


async def test_shared_terminal(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, olga=Role.OBSERVER)
    async with live_app(settings) as app:
        await write_file(app, people, "main.py", "answer = 41\n")
        async with (
            control_client(events_url(app, people, "ada")) as ada,
            control_client(events_url(app, people, "olga")) as olga,
        ):
            await ada.send(type="terminal.open", language="python", rows=24, cols=80)
            await olga.expect("terminal.opened")
            await ada.expect_text("terminal.output", ">>>")
            await ada.send(type="terminal.input", data="import main; print(main.answer + 1)\n")
            await olga.expect_text("terminal.output", "42")
            await olga.send(type="terminal.input", data="print('observer')\n")
            assert "cannot run" in (await olga.expect("error"))["message"]
            await ada.send(type="terminal.close")
            await olga.expect("terminal.closed")


async def test_chat_and_bad_input(settings: Settings) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with (
            control_client(events_url(app, people, "bob")) as bob,
            control_client(events_url(app, people, "ada")) as ada,
        ):
            await bob.send(type="chat", text="Can I use a dict?")
            message = await ada.expect("chat")
            assert (message["from"], message["text"]) == ("bob", "Can I use a dict?")
            await bob.ws.send("{not json")
            closed = await bob.wait_closed()
            assert closed.rcvd is not None and closed.rcvd.code == 4400
            assert ada.closed is None  # only the sender's connection ends
        async with connect(events_url(app, people, "bob")) as ws:
            await ws.recv()  # hello
            await ws.send('{"type": "run.start", "mode": "fly"}')
            await frames_until_close(ws)
            assert ws.close_code == 4400
        async with connect(f"{app.base}/sessions/{people.session_id}/events?token=nope") as ws:
            assert await frames_until_close(ws) == [] and ws.close_code == 4401
