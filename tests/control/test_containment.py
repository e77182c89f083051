"""Fault injection: an unexpected exception at each place a participant's action reaches
(a run, its files being written, a terminal, a resize, a command, a sync message) ends that
action with an error for that participant; the hub, the node's services and every other
session carry on. And /healthz says when a service has stopped."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from server.control.allowance import Allowances
from server.exec.dispatch.local_runner import LocalRunner
from server.exec.executor import Executor
from server.exec.sandbox.terminal_limits import LimitedTerminal
from server.exec.sandbox.workspace import Workspace
from server.recording.writer import EventWriter
from server.sessions.roles import Role
from server.settings import Settings
from server.sync.protocol import AwarenessEntry, awareness_frame, encode_awareness
from server.sync.room import Room
from tests.support.control_client import control_client
from tests.support.hostile_checks import another_session_is_served, healthy
from tests.support.live_app import LiveApp, http_base, live_app
from tests.support.provisioning import SessionFixture, provision
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


class Injected(Exception):
    """What the tests raise where Duet did not expect anything to fail."""


def fail(*_: object, **__: object) -> NoReturn:
    raise Injected("injected fault")


def events_url(app: LiveApp, people: SessionFixture, name: str) -> str:
    return f"{app.base}/sessions/{people.session_id}/events?token={people.tokens[name]}"


async def everyone_else_is_fine(app: LiveApp, people: SessionFixture, bystander: SessionFixture) -> None:
    body = await healthy(app.base)
    assert set(body.services.values()) == {"ok"}
    await another_session_is_served(app.base, bystander.session_id, bystander.tokens["bob"], "fine")
    async with control_client(events_url(app, people, "ada")) as ada:  # the session itself goes on
        await ada.send(type="chat", text="still here")
        await ada.expect("chat", lambda e: e["text"] == "still here")


async def test_a_fault_in_any_participant_action_ends_only_that_action(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = await provision(settings, ada=Role.INTERVIEWER)
    bystander = await provision(settings, bob=Role.CANDIDATE)
    async with live_app(settings) as app:
        async with yclient(app.url(people.session_id, people.tokens["ada"]), "ada") as ada:
            await ada.wait_ack(await ada.insert("main.py", 0, "print('ok')"))

        async def run_fails(where: Callable[[pytest.MonkeyPatch], None]) -> None:
            with monkeypatch.context() as patch:
                where(patch)
                async with control_client(events_url(app, people, "ada")) as client:
                    await client.send(type="run.start", file="main.py")
                    finished = await client.expect("run.finished")
                    assert (
                        "failed" in (finished["error"] or "")
                        or finished["result"]["status"] == "internal_error"
                    )
            await everyone_else_is_fine(app, people, bystander)

        await run_fails(lambda patch: patch.setattr(Executor, "run", fail))  # the run itself
        await run_fails(lambda patch: patch.setattr(Workspace, "write", fail))  # writing its files
        await run_fails(
            lambda patch: patch.setattr(
                Workspace, "write", lambda *_: (_ for _ in ()).throw(OSError(errno.EIO, "EIO"))
            )
        )

        with monkeypatch.context() as patch:  # opening a terminal
            patch.setattr(LocalRunner, "terminal", fail)
            async with control_client(events_url(app, people, "ada")) as client:
                await client.send(type="terminal.open", language="python")
                assert "failed" in (await client.expect("error"))["message"]
                await client.expect("terminal.closed")
        await everyone_else_is_fine(app, people, bystander)

        async with control_client(events_url(app, people, "ada")) as client:  # a resize racing a close
            await client.send(type="terminal.open", language="python")
            await client.expect_text("terminal.output", ">>>")
            with monkeypatch.context() as patch:
                patch.setattr(
                    LimitedTerminal, "resize", lambda *_: (_ for _ in ()).throw(OSError(errno.EBADF, "EBADF"))
                )
                await client.send(type="terminal.resize", rows=30, cols=100)
                assert "failed" in (await client.expect("error"))["message"]
            await client.send(type="terminal.input", data="print(6 * 7)\n")
            await client.expect_text("terminal.output", "42")  # the terminal itself carries on
            await client.send(type="terminal.close")
            await client.expect("terminal.closed")
        await everyone_else_is_fine(app, people, bystander)

        with monkeypatch.context() as patch:  # handling any command
            patch.setattr(Allowances, "of", fail)
            async with control_client(events_url(app, people, "ada")) as client:
                await client.send(type="chat", text="hello")
                assert "failed to handle" in (await client.expect("error"))["message"]
                assert client.closed is None
        await everyone_else_is_fine(app, people, bystander)

        with monkeypatch.context() as patch:  # handling a sync message
            patch.setattr(Room, "accept_awareness", fail)
            async with yclient(app.url(people.session_id, people.tokens["ada"]), "ada") as editor:
                entry = AwarenessEntry(editor.doc.client_id, 1, b"{}")
                await editor.ws.send(awareness_frame(encode_awareness([entry])))
                closed = await editor.wait_closed()
                assert closed.rcvd is not None and closed.rcvd.code == 1011
        await everyone_else_is_fine(app, people, bystander)


async def test_healthz_fails_when_a_service_has_stopped(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with live_app(settings) as app:
        await healthy(app.base)
        monkeypatch.setattr(EventWriter, "alive", property(lambda self: False))
        async with httpx.AsyncClient(base_url=http_base(app.base)) as client:
            response = await client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert (
            body["status"] == "unavailable" and body["services"]["events"] == "the event writer has stopped"
        )
        assert body["services"]["rooms"] == "ok"
