"""A request body over the limit is answered with a readable 413, on a real server and real sockets
(both event loops `duet serve` may run on): the client that keeps uploading reads the JSON problem
instead of a connection reset, whether the size was announced or the body was chunked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import anyio
import httpx
import pytest

from server.settings import Settings
from tests.support.http_wire import DEADLINE, connect, host_port, parse, read_answer
from tests.support.live_app import live_app

pytestmark = pytest.mark.anyio

LIMIT = 64 * 1024
CHUNK = 16 * 1024
PATH = "/api/v1/sessions"  # reads a JSON body (before it asks for the API key)


@pytest.fixture(params=["asyncio", pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop")])
def anyio_backend(request: pytest.FixtureRequest) -> object:
    return request.param


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'duet.db'}"


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return replace(settings, max_request_bytes=LIMIT)


def assert_too_large(status: int, headers: dict[str, str], problem: object) -> None:
    assert status == 413
    assert headers["connection"] == "close"
    assert problem == {
        "error": {
            "code": "payload_too_large",
            "message": f"request body is larger than {LIMIT} bytes",
            "details": {},
        }
    }


def chunked(data: bytes) -> bytes:
    pieces = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_raw_client_uploading_twice_the_limit_reads_the_413(limited: Settings, framing: str) -> None:
    body = b"[" + b" " * (2 * LIMIT - 2) + b"]"
    if framing == "chunked":
        head, payload = "Transfer-Encoding: chunked", chunked(body)
    else:
        head, payload = f"Content-Length: {len(body)}", body
    async with live_app(limited) as app:
        reader, writer = await asyncio.open_connection(*host_port(app.base))
        try:
            with anyio.fail_after(DEADLINE):
                writer.write(
                    f"POST {PATH} HTTP/1.1\r\nHost: duet.test\r\nContent-Type: application/json\r\n".encode()
                )
                writer.write(f"{head}\r\n\r\n".encode())
                for i in range(0, len(payload), CHUNK):  # all of it, as a client that does not listen
                    writer.write(payload[i : i + CHUNK])
                    await writer.drain()
                raw = await reader.read()  # to the end: the server closes after its answer
        finally:
            writer.close()
    answer = parse(raw)
    assert_too_large(answer.status, answer.headers, answer.json())


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_httpx_uploading_twice_the_limit_gets_the_413(limited: Settings, framing: str) -> None:
    body = b"[" + b" " * (2 * LIMIT - 2) + b"]"

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(body), CHUNK):
            yield body[i : i + CHUNK]

    async with (
        live_app(limited) as app,
        httpx.AsyncClient(base_url=app.base.replace("ws://", "http://")) as client,
    ):
        content = pieces() if framing == "chunked" else body
        response = await client.post(
            PATH, content=content, headers={"content-type": "application/json"}, timeout=DEADLINE
        )
    assert ("transfer-encoding" in response.request.headers) is (framing == "chunked")
    assert_too_large(response.status_code, dict(response.headers), response.json())


async def test_a_client_that_uploads_on_and_on_is_cut_off(limited: Settings) -> None:
    announced = 1024 * LIMIT  # far more than the server reads and discards, and than socket buffers hold
    async with live_app(limited) as app:
        reader, writer = await asyncio.open_connection(*host_port(app.base))
        sent = 0
        try:
            with anyio.fail_after(DEADLINE):
                writer.write(
                    f"POST {PATH} HTTP/1.1\r\nHost: duet.test\r\nContent-Length: {announced}\r\n\r\n".encode()
                )
                with pytest.raises((ConnectionResetError, BrokenPipeError)):
                    while sent < announced:
                        writer.write(b" " * CHUNK)
                        await writer.drain()
                        sent += CHUNK
        finally:
            writer.close()
    assert sent < announced


async def test_bodies_within_the_limit_keep_their_connection(limited: Settings) -> None:
    body = b'{"title": "' + b"x" * (LIMIT // 2) + b'"}'
    request = (
        f"POST {PATH} HTTP/1.1\r\nHost: duet.test\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )
    async with live_app(limited) as app, await connect(app.base) as stream:
        for _ in range(2):  # the same connection twice
            await stream.send(request)
            answer = await read_answer(stream)
            assert answer.status == 401 and "connection" not in answer.headers


async def test_archive_imports_have_a_cap_of_their_own(limited: Settings) -> None:
    """A session archive is larger than any other request: its path takes up to
    DUET_MAX_ARCHIVE_BYTES, every other path stays at DUET_MAX_REQUEST_BYTES."""
    settings = replace(limited, max_archive_bytes=4 * LIMIT)
    within, beyond = b"x" * (2 * LIMIT), b"x" * (4 * LIMIT + 1)
    async with (
        live_app(settings) as app,
        httpx.AsyncClient(base_url=app.base.replace("ws://", "http://")) as client,
    ):
        headers = {"content-type": "application/octet-stream"}
        taken = await client.post(
            "/api/v1/session-imports", content=within, headers=headers, timeout=DEADLINE
        )
        assert taken.status_code == 401  # read whole, then refused for want of an API key
        refused = await client.post(
            "/api/v1/session-imports", content=beyond, headers=headers, timeout=DEADLINE
        )
        assert refused.status_code == 413
        assert refused.json()["error"]["message"] == f"request body is larger than {4 * LIMIT} bytes"
        elsewhere = await client.post(PATH, content=within, headers=headers, timeout=DEADLINE)
        assert_too_large(elsewhere.status_code, dict(elsewhere.headers), elsewhere.json())
