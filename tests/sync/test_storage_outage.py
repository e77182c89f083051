"""The database going away: sync connections close with 4503 (clients retry) instead of crashing,
and once it is back, a reconnecting client finds everything that was acknowledged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import anyio
import pytest
from anyio.abc import SocketStream, TaskGroup
from sqlalchemy.engine import make_url
from websockets.asyncio.client import connect

from server.sessions.roles import Role
from server.settings import Settings
from tests.support.databases import fresh_postgres
from tests.support.live_app import live_app
from tests.support.provisioning import provision
from tests.support.yclient import DEADLINE, frames_until_close, yclient

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


@pytest.fixture
def database_url() -> str:
    return ""  # each test makes its own PostgreSQL database, reached through a proxy


class Proxy:
    """A TCP proxy to PostgreSQL that the test can cut (close everything, refuse new
    connections) and restore: the database vanishing from the network, for real."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.up = True
        self._links: set[anyio.CancelScope] = set()

    async def _handle(self, client: SocketStream) -> None:
        async with client:
            if not self.up:
                return
            async with await anyio.connect_tcp(*self.upstream) as server, anyio.create_task_group() as tg:
                self._links.add(tg.cancel_scope)
                tg.start_soon(_pipe, client, server, tg)
                tg.start_soon(_pipe, server, client, tg)
            self._links.discard(tg.cancel_scope)

    def cut(self) -> None:
        self.up = False
        for link in self._links:
            link.cancel()

    def restore(self) -> None:
        self.up = True


async def _pipe(source: SocketStream, sink: SocketStream, tg: TaskGroup) -> None:
    try:
        async for chunk in source:
            await sink.send(chunk)
    except (anyio.BrokenResourceError, anyio.ClosedResourceError):
        pass
    tg.cancel_scope.cancel()


@asynccontextmanager
async def proxy_to(url: str) -> AsyncIterator[tuple[Proxy, str]]:
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    proxy.port = listener.extra(anyio.abc.SocketAttribute.local_port)
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, proxy._handle)
        yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        tg.cancel_scope.cancel()


async def test_a_database_outage_closes_with_4503_and_loses_nothing(settings: Settings) -> None:
    async with fresh_postgres() as direct, proxy_to(direct) as (proxy, through_proxy):
        settings = replace(settings, database_url=through_proxy, sync_room_grace_seconds=0.0)
        people = await provision(settings, ada=Role.INTERVIEWER)
        async with live_app(settings) as app:
            url = app.url(people.session_id, people.tokens["ada"])
            async with yclient(url, "ada") as ada:
                await ada.wait_ack(await ada.insert("main.py", 0, "kept"))
            rooms = app.services.sync.rooms
            with anyio.fail_after(15):
                while len(rooms):
                    await rooms.unloaded.wait()
            proxy.cut()
            async with connect(url, open_timeout=DEADLINE) as ws:
                await frames_until_close(ws)
                assert ws.close_code == 4503, ws.close_reason
                assert "unavailable" in (ws.close_reason or "")
            proxy.restore()
            async with yclient(url, "ada") as again:
                assert again.text("main.py") == "kept"


async def test_a_failed_write_resets_the_room_and_the_author_brings_the_edit_back(settings: Settings) -> None:
    async with fresh_postgres() as direct, proxy_to(direct) as (proxy, through_proxy):
        settings = replace(settings, database_url=through_proxy)
        people = await provision(settings, ada=Role.INTERVIEWER, bob=Role.CANDIDATE)
        async with live_app(settings) as app:
            ada_url = app.url(people.session_id, people.tokens["ada"])
            bob_url = app.url(people.session_id, people.tokens["bob"])
            async with yclient(ada_url, "ada") as ada, yclient(bob_url, "bob") as bob:
                await ada.wait_ack(await ada.insert("main.py", 0, "kept;"))
                proxy.cut()
                await ada.insert("main.py", 5, "unacknowledged")
                # the commit fails: every client of the room is closed (and retries), ada's
                # edit never acknowledged
                for client in (ada, bob):
                    closed = await client.wait_closed()
                    assert closed.rcvd is not None and closed.rcvd.code == 4503, closed
                offline_doc = ada.doc
            proxy.restore()
            # ada's provider reconnects with its document: the edit goes back up in sync step 2
            async with yclient(ada_url, "ada again", doc=offline_doc) as again:
                await again.wait_for(lambda: again.text("main.py") == "kept;unacknowledged")
            async with yclient(bob_url, "bob again") as fresh:
                assert fresh.text("main.py") == "kept;unacknowledged"
