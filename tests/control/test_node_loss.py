"""A node killed while it holds the session's run and terminal: the nodes left end both, for
everyone, and the session may run again; and nothing anyone saw is lost with it (chat echoed,
run and terminal events delivered: each was recorded before it went out). Real `duet serve`
processes over Redis and PostgreSQL, the runs on one node's in-process worker (bubblewrap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.control.events import PRIVATE, RECORDED
from server.control.hub import RUN_LOST, TERMINAL_LOST
from server.exec.engines.bwrap import engine as bwrap_engine
from server.sessions.roles import Role
from server.settings import Settings
from server.store.database import Database
from server.store.recording_repository import SqlRecordingLog
from tests.support.control_client import ControlClient, control_client
from tests.support.databases import fresh_postgres
from tests.support.live_server import LIVE_SECRET, LiveServer, live_server
from tests.support.prerequisites import missing
from tests.support.provisioning import SessionFixture, provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.bwrap]

#: prints all along, so that output is on its way (delivered, not yet...) when the node dies
PROGRAM = (
    "import time\nprint('up', flush=True)\n"
    "for i in range(3000):\n    print('tick', i, flush=True)\n    time.sleep(0.01)\n"
)


def events_url(server: LiveServer, people: SessionFixture, name: str) -> str:
    return f"{server.ws_url}/sessions/{people.session_id}/events?token={people.tokens[name]}"


def sync_url(server: LiveServer, people: SessionFixture, name: str) -> str:
    return f"{server.ws_url}/sync/{people.session_id}?token={people.tokens[name]}"


async def test_a_dead_nodes_run_and_terminal_end_for_everyone(tmp_path: Path) -> None:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    env = {"DUET_REDIS_URL": redis_url(), "DUET_REDIS_PREFIX": unique_prefix(), "DUET_SANDBOX": "bwrap"}
    # node b's worker runs everything; its slots outnumber what the dead node leaves running there
    worker = {**env, "DUET_EXEC_IN_PROCESS_WORKER": "true", "DUET_EXEC_SLOTS": "4"}
    async with fresh_postgres() as database_url:
        settings = Settings(secret_key=LIVE_SECRET, var_dir=tmp_path, database_url=database_url)
        people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE, olga=Role.OBSERVER)
        try:
            seen = await lose_a_node(tmp_path, database_url, people, env, worker)
            async with Database(database_url) as db:
                events = await SqlRecordingLog(db).read(people.session_id, kinds=RECORDED, limit=100_000)
                recorded = {e.data.decode() for e in events}
            # the dead node's chat and console events too: what anyone got, the log holds
            shown = [f for f in seen if f["type"] in {"chat", "run.started", "run.output"}]
            assert {f["type"] for f in shown} == {"chat", "run.started", "run.output"}
            lost = [f for f in seen if f["frame"] not in recorded]
            assert not lost, f"{len(lost)} of {len(seen)} events seen were not recorded: {lost[:3]}"
        finally:
            # node b's worker still held the dead node's run and terminal when it was stopped
            bwrap_engine.sweep_orphans(tmp_path / "b" / "sandbox")


def recorded_kinds_seen(*clients: ControlClient) -> list[dict[str, str]]:
    """Every event of a recorded kind the clients received, with its frame as it arrived."""
    return [
        {"type": e["type"], "frame": str(f)}
        for client in clients
        for f, e in zip(client.frames, client.events, strict=True)
        if e["type"] in RECORDED and e["type"] not in PRIVATE
    ]


async def lose_a_node(
    tmp_path: Path, database_url: str, people: SessionFixture, env: dict[str, str], worker: dict[str, str]
) -> list[dict[str, str]]:
    """Returns every recorded event the participants saw."""
    with (
        live_server(tmp_path / "a", database_url, extra_env=env) as node_a,
        live_server(tmp_path / "b", database_url, extra_env=worker) as node_b,
        live_server(tmp_path / "c", database_url, extra_env=env) as node_c,
    ):
        async with yclient(sync_url(node_a, people, "bob"), "bob") as editor:
            await editor.wait_ack(await editor.insert("main.py", 0, PROGRAM))
            async with control_client(events_url(node_b, people, "ada")) as ada:
                async with control_client(events_url(node_a, people, "bob")) as bob:
                    await bob.send(type="terminal.open", language="python")
                    await ada.expect("terminal.opened")
                    await bob.send(type="run.start")
                    run_id = (await ada.expect("run.started"))["run_id"]
                    await ada.expect_text("run.output", "up")
                    # a node that opens the session's channel now learns from the recording
                    # what is going on elsewhere (delivered events were recorded first)
                    async with control_client(events_url(node_c, people, "olga")) as olga:
                        hello = await olga.expect("hello")  # live events may come first
                        assert (hello["active_run"], hello["terminal_open"]) == (run_id, True)
                        await olga.expect_text("run.output", "tick 20")
                        for i in range(10):  # chat on its way when the node dies
                            await bob.send(type="chat", text=f"last words {i}")
                        await olga.expect("chat", lambda e: e["text"] == "last words 0")
                        node_a.kill()  # SIGKILL: it cannot tell anyone
                        await bob.wait_closed()
                        for watcher in (ada, olga):
                            finished = await watcher.expect("run.finished", lambda e: e["run_id"] == run_id)
                            assert (finished["result"], finished["error"]) == (None, RUN_LOST)
                            closed = await watcher.expect("terminal.closed")
                            assert closed["reason"] == TERMINAL_LOST
                # the session may run again, and its participants reconnect to the nodes left
                async with control_client(events_url(node_b, people, "bob")) as bob_again:
                    assert (bob_again.events[0]["active_run"], bob_again.events[0]["terminal_open"]) == (
                        None,
                        False,
                    )
                    await bob_again.send(type="run.start")
                    again = await ada.expect("run.started", lambda e: e["run_id"] != run_id)
                    await bob_again.send(type="run.stop", run_id=again["run_id"])
                    stopped = await ada.expect("run.finished", lambda e: e["run_id"] == again["run_id"])
                    assert stopped["result"]["stopped"] is True
                    return recorded_kinds_seen(ada, olga, bob, bob_again)
