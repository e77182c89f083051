"""The HTTP connection layer's clocks and sizes on a real server and real sockets (both event loops
`duet serve` may run on): request heads must come whole and soon, bodies must keep coming, idle
keep-alive connections end, and none of it touches a client that behaves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import anyio
import pytest
from websockets.asyncio.client import connect as ws_connect

from server.sessions.roles import Role
from server.settings import Settings
from server.web.http_protocol import MAX_HEAD_BYTES
from tests.support.http_wire import DEADLINE, connect, listen, parse, read_answer, read_answers, read_to_end
from tests.support.live_app import LiveApp, live_app
from tests.support.provisioning import provision

pytestmark = pytest.mark.anyio

#: short enough for a test, and no test depends on it being met precisely
TIMEOUT = 0.5
GET = b"GET /login HTTP/1.1\r\nHost: duet.test\r\n\r\n"


@pytest.fixture(params=["asyncio", pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop")])
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return request.param


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return replace(
        settings,
        http_header_timeout_seconds=TIMEOUT,
        http_body_idle_seconds=TIMEOUT,
        http_keepalive_seconds=30.0,
    )


def post_head(length: int) -> bytes:
    return (
        "POST /api/v1/sessions HTTP/1.1\r\nHost: duet.test\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


async def test_a_head_not_complete_in_time_gets_408_and_the_connection_ends(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(b"GET /login HTTP/1.1\r\nHost: duet.test\r\n")  # and no blank line
        answer = parse(await read_to_end(stream))
    assert answer.status == 408
    assert answer.problem_code == "request_timeout"
    assert answer.headers["connection"] == "close"


async def test_a_connection_that_sends_nothing_is_closed_without_an_answer(quick: Settings) -> None:
    # what a browser's unused preconnect looks like: a 408 would be shown to its user later
    async with live_app(quick) as app, await connect(app.base) as stream:
        assert await read_to_end(stream) == b""


async def test_a_head_sent_a_byte_at_a_time_does_not_extend_its_deadline(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(b"GET /login HTTP/1.1\r\nHost: duet.test\r\nX-Slow: ")
        trickled = 0
        with anyio.fail_after(DEADLINE):
            while (heard := await listen(stream, TIMEOUT / 5)) is None:
                await stream.send(b"a")  # never a line end: the head could never be complete
                trickled += 1
        answer = parse(heard + await read_to_end(stream))
    assert trickled > 0  # the client kept sending, and it did not help
    assert answer.status == 408 and answer.problem_code == "request_timeout"


async def test_a_head_over_the_size_cap_gets_431(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(b"GET /login HTTP/1.1\r\nX-Big: " + b"a" * (MAX_HEAD_BYTES + 1024))
        answer = parse(await read_to_end(stream))
    assert answer.status == 431 and answer.problem_code == "headers_too_large"


async def test_a_keep_alive_connection_idles_between_requests_past_the_head_timeout(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(GET)
        assert (await read_answer(stream)).status == 200
        # idle for three head timeouts: only the keep-alive timeout (30 s here) applies
        assert await listen(stream, 3 * TIMEOUT) is None
        await stream.send(GET)
        assert (await read_answer(stream)).status == 200


async def test_pipelined_requests_are_answered_in_order_on_one_connection(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(GET + b"GET /nowhere HTTP/1.1\r\nHost: duet.test\r\n\r\n" + GET)
        assert [answer.status for answer in await read_answers(stream, 3)] == [200, 404, 200]


async def test_an_idle_keep_alive_connection_ends_after_the_keepalive_timeout(quick: Settings) -> None:
    async with (
        live_app(replace(quick, http_keepalive_seconds=TIMEOUT)) as app,
        await connect(app.base) as stream,
    ):
        await stream.send(GET)
        assert (await read_answer(stream)).status == 200
        assert await read_to_end(stream) == b""  # closed, nothing more said


async def test_a_stalled_body_gets_408_and_the_connection_ends(quick: Settings) -> None:
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(post_head(100) + b'{"title": ')  # and nothing more
        answer = parse(await read_to_end(stream))
    assert answer.status == 408 and answer.problem_code == "request_timeout"


async def test_a_slow_but_steady_body_is_not_cut_off(quick: Settings) -> None:
    body = b'{"title": "slow"}' + b" " * 15
    async with live_app(quick) as app, await connect(app.base) as stream:
        await stream.send(post_head(len(body)))
        with anyio.fail_after(DEADLINE):
            for i in range(len(body)):  # a byte per TIMEOUT / 5: in all, several times TIMEOUT
                await stream.send(body[i : i + 1])
                if i + 1 < len(body):
                    assert await listen(stream, TIMEOUT / 5) is None
        answer = await read_answer(stream)
    assert answer.status == 401  # the body was read whole; then the missing API key answered


async def test_live_websockets_outlive_the_http_timeouts(quick: Settings) -> None:
    people = await provision(quick, ada=Role.INTERVIEWER)

    def url(app: LiveApp) -> str:
        return app.url(people.session_id, people.tokens["ada"])

    async with (
        live_app(replace(quick, http_keepalive_seconds=TIMEOUT)) as app,
        ws_connect(url(app), open_timeout=DEADLINE) as ws,
    ):
        with anyio.move_on_after(3 * TIMEOUT):  # take what the room sends, for three timeouts
            while True:
                await ws.recv()
        pong = await ws.ping(b"still here")
        with anyio.fail_after(DEADLINE):
            await pong
