"""The cap on open connections per address, on a real server and real sockets (both event loops
`duet serve` may run on). Upgraded websockets leave the HTTP protocol behind at the upgrade and
still count until they close."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from server.sessions.roles import Role
from server.settings import Settings
from server.web.connections_per_address import ConnectionsPerAddress
from tests.support.http_wire import DEADLINE, connect, parse, read_to_end
from tests.support.live_app import live_app
from tests.support.provisioning import provision

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop")])
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return request.param


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


async def assert_refused(base: str) -> None:
    """A new connection from this address gets a 429 problem for its request, then it ends."""
    async with await connect(base) as stream:
        await stream.send(b"GET /login HTTP/1.1\r\nHost: duet.test\r\n\r\n")
        answer = parse(await read_to_end(stream))
    assert answer.status == 429
    assert answer.problem_code == "rate_limited"
    assert answer.headers["connection"] == "close"
    with pytest.raises(InvalidStatus) as refused:
        async with ws_connect(f"{base}/no/matter", open_timeout=DEADLINE):
            pass
    assert refused.value.response.status_code == 429


async def test_64_open_websockets_block_the_65th_connection_until_some_close(settings: Settings) -> None:
    settings = replace(settings, live_sockets_per_participant=100, live_sockets_per_session=100)
    assert settings.max_connections_per_address == 64  # the default is what is tested
    people = await provision(settings, ada=Role.INTERVIEWER)
    token = people.tokens["ada"]
    async with live_app(settings) as app, AsyncExitStack() as sockets:
        urls = [
            app.url(people.session_id, token),
            f"{app.base}/sessions/{people.session_id}/events?token={token}",
        ]
        open_sockets: list[ClientConnection] = []
        for i in range(64):  # both picows routes: /sync and the control channel
            ws = await sockets.enter_async_context(ws_connect(urls[i % 2], open_timeout=DEADLINE))
            await ws.recv()  # authenticated and served: the handler is running
            open_sockets.append(ws)

        await assert_refused(app.base)

        for ws in open_sockets[:2]:
            await ws.close()  # returns once the server has closed its end too
        for url in urls:  # the room they left is free again...
            ws = await sockets.enter_async_context(ws_connect(url, open_timeout=DEADLINE))
            await ws.recv()
            open_sockets.append(ws)
        await assert_refused(app.base)  # ...and only that room

        await open_sockets[-1].close()
        async with httpx.AsyncClient(base_url=app.base.replace("ws://", "http://")) as client:
            response = await client.get("/login", timeout=DEADLINE)
        assert response.status_code == 200


async def test_keep_alive_http_connections_count_too_and_the_cap_can_be_off(settings: Settings) -> None:
    async with live_app(replace(settings, max_connections_per_address=3)) as app:
        base = app.base.replace("ws://", "http://")
        clients = [httpx.AsyncClient(base_url=base) for _ in range(3)]
        async with AsyncExitStack() as stack:
            for client in clients:
                await stack.enter_async_context(client)
                assert (await client.get("/login", timeout=DEADLINE)).status_code == 200  # stays open
            await assert_refused(app.base)
            await clients[0].aclose()  # the server sees it end (the HTTP protocol releases it)
            with anyio.fail_after(DEADLINE):
                while True:  # the server reads the close on its next turn: retry on a 429 only
                    async with httpx.AsyncClient(base_url=base) as client:
                        status = (await client.get("/login", timeout=DEADLINE)).status_code
                    if status != 429:
                        break
            assert status == 200
    async with live_app(replace(settings, max_connections_per_address=0)) as app, AsyncExitStack() as stack:
        for _ in range(5):
            client = await stack.enter_async_context(
                httpx.AsyncClient(base_url=app.base.replace("ws://", "http://"))
            )
            assert (await client.get("/login", timeout=DEADLINE)).status_code == 200


class _Transport(asyncio.Transport):
    """Only what the table asks of a transport: whether it is closing."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing


def test_addresses_whose_connections_all_closed_leave_the_table() -> None:
    # upgraded connections are never released by a protocol: pruning and sweeps must drop them
    table = ConnectionsPerAddress(cap=2)
    upgraded = {f"10.0.{i // 250}.{i % 250}": _Transport() for i in range(2000)}
    for address, transport in upgraded.items():
        assert table.admit(address, transport)
        transport.closing = True  # its websocket ended; nobody told the table
    assert table.addresses() < 600  # swept along the way, not one entry per address ever seen
    assert table.count("10.0.0.1") == 0
    one, two, three = _Transport(), _Transport(), _Transport()
    assert table.admit("10.9.9.9", one) and table.admit("10.9.9.9", two)
    assert not table.admit("10.9.9.9", three)
    one.closing = True
    assert table.admit("10.9.9.9", three)
    table.release("10.9.9.9", two)
    assert table.count("10.9.9.9") == 1
