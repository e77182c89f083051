"""A node killed while it holds the session's run and terminal: the nodes left end both, for
everyone, and the session may run again. Real `duet serve` processes over Redis and PostgreSQL,
the runs on one node's in-process worker (bubblewrap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.control.hub import RUN_LOST, TERMINAL_LOST
from server.exec.engines.bwrap import engine as bwrap_engine
from server.sessions.roles import Role
from server.settings import Settings
from tests.support.control_client import control_client
from tests.support.databases import fresh_postgres
from tests.support.live_server import LIVE_SECRET, LiveServer, live_server
from tests.support.prerequisites import missing
from tests.support.provisioning import SessionFixture, provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.bwrap]

PROGRAM = "import time\nprint('up', flush=True)\ntime.sleep(30)\n"


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
            await lose_a_node(tmp_path, database_url, people, env, worker)
        finally:
            # node b's worker still held the dead node's run and terminal when it was stopped
            bwrap_engine.sweep_orphans(tmp_path / "b" / "sandbox")


async def lose_a_node(
    tmp_path: Path, database_url: str, people: SessionFixture, env: dict[str, str], worker: dict[str, str]
) -> None:
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
                    # node a's writer commits in order: once this edit is acknowledged, the
                    # run's start and the terminal's opening are in the recording too
                    await editor.wait_ack(await editor.insert("main.py", len(PROGRAM), "# acked\n"))
                    # a node that opens the session's channel now learns from the recording
                    # what is going on elsewhere
                    async with control_client(events_url(node_c, people, "olga")) as olga:
                        hello = olga.events[0]
                        assert (hello["active_run"], hello["terminal_open"]) == (run_id, True)
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
