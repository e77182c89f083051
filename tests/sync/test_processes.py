"""Whole `duet serve` processes: kill -9 and restart, two nodes over Redis, a node dying."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from pycrdt import Map

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.databases import fresh_postgres
from tests.support.live_server import LIVE_SECRET, LiveServer, free_port, live_server
from tests.support.provisioning import SessionFixture, provision
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.yclient import YClient, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def sync_url(server: LiveServer, people: SessionFixture, name: str) -> str:
    return f"{server.ws_url}/sync/{people.session_id}?token={people.tokens[name]}"


async def test_kill_9_and_restart_loses_nothing_acknowledged(tmp_path: Path, database_url: str) -> None:
    settings = Settings(secret_key=LIVE_SECRET, var_dir=tmp_path, database_url=database_url)
    people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
    port = free_port()
    with live_server(tmp_path, database_url, port=port) as server:
        async with (
            yclient(sync_url(server, people, "ada"), "ada") as ada,
            yclient(sync_url(server, people, "bob"), "bob") as bob,
        ):
            for i in range(50):
                last = await ada.insert("main.py", i, "a")
            await ada.wait_ack(last)
            await bob.wait_for(lambda: bob.text("main.py") == "a" * 50)
            server.kill()  # SIGKILL: no shutdown, no flush
            await ada.wait_closed()
    with live_server(tmp_path, database_url, port=port) as again:
        async with yclient(sync_url(again, people, "bob"), "bob") as bob:
            assert bob.text("main.py") == "a" * 50


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_nodes_converge_and_a_dead_nodes_client_carries_on(tmp_path: Path) -> None:
    env = {"DUET_REDIS_URL": redis_url(), "DUET_REDIS_PREFIX": unique_prefix()}
    async with fresh_postgres() as database_url:
        settings = Settings(secret_key=LIVE_SECRET, var_dir=tmp_path, database_url=database_url)
        people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
        with (
            live_server(tmp_path / "a", database_url, extra_env=env) as node_a,
            live_server(tmp_path / "b", database_url, extra_env=env) as node_b,
        ):
            async with yclient(sync_url(node_b, people, "bob"), "bob") as bob:
                async with yclient(sync_url(node_a, people, "ada"), "ada") as ada:
                    await ada.set_awareness({"user": {"name": "x"}, "cursor": 1})
                    await bob.wait_for(lambda: ada.doc.client_id in bob.awareness, "awareness across nodes")
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(type_into, ada, "main.py", "AAAA")
                        tg.start_soon(type_into, bob, "main.py", "BBBB")
                    await ada.wait_for(lambda: len(ada.text("main.py")) == 8, "both words at ada")
                    await bob.wait_for(lambda: bob.text("main.py") == ada.text("main.py"), "bob converges")
                    acked = await ada.insert("main.py", 0, "acked;")
                    await ada.wait_ack(acked)
                    node_a.kill()
                    await ada.wait_closed()
                    offline_doc = ada.doc
                # an edit made while offline (never acknowledged) lives only in ada's document
                offline_doc.get("files", type=Map)["main.py"].insert(0, "offline;")
                async with yclient(sync_url(node_b, people, "ada"), "ada again", doc=offline_doc) as ada2:
                    await bob.wait_for(lambda: bob.text("main.py").startswith("offline;acked;"), "failover")
                    assert ada2.text("main.py") == bob.text("main.py")
            # a node joining late gets the full state
            with live_server(tmp_path / "c", database_url, extra_env=env) as node_c:
                async with yclient(sync_url(node_c, people, "bob"), "late") as late:
                    assert (
                        late.text("main.py").startswith("offline;acked;") and len(late.text("main.py")) == 22
                    )


async def type_into(client: YClient, path: str, text: str) -> None:
    last = b""
    for ch in text:
        last = await client.insert(path, 0, ch)
    await client.wait_ack(last)
