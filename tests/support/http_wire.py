"""Raw HTTP/1.1 on a real socket, for tests of the connection layer: what a slow or hostile
client sends, byte by byte, and exactly what comes back, including whether the server ended the
connection. Every wait has a deadline; nothing sleeps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import SocketStream

DEADLINE = 10.0


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def problem_code(self) -> str:
        return str(self.json()["error"]["code"])


def host_port(base: str) -> tuple[str, int]:
    """``ws://127.0.0.1:1234`` (a LiveApp's base) -> ("127.0.0.1", 1234)."""
    host, _, port = base.split("://", 1)[1].rpartition(":")
    return host, int(port)


async def connect(base: str) -> SocketStream:
    host, port = host_port(base)
    return await anyio.connect_tcp(host, port)


def parse(raw: bytes) -> Answer:
    """One response: status line, headers, and the body its Content-Length announces."""
    answer, _ = _split(raw)
    assert answer is not None, f"no whole response in {raw[:300]!r}"
    return answer


def _split(raw: bytes) -> tuple[Answer | None, bytes]:
    """The first whole response in ``raw`` and what follows it; None while it is not whole."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None, raw
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if len(rest) < length:
        return None, raw
    return Answer(status, headers, rest[:length]), rest[length:]


async def read_to_end(stream: SocketStream) -> bytes:
    """Everything the server sends until it ends the connection (within DEADLINE). A reset
    fails the test: the point is that the client reads its answer."""
    data = bytearray()
    with anyio.fail_after(DEADLINE):
        while True:
            try:
                data += await stream.receive()
            except anyio.EndOfStream:
                return bytes(data)


async def read_answers(stream: SocketStream, count: int) -> list[Answer]:
    """The next ``count`` whole responses on a connection that stays open (keep-alive,
    pipelining), and nothing more."""
    answers: list[Answer] = []
    data = b""
    with anyio.fail_after(DEADLINE):
        while len(answers) < count:
            answer, rest = _split(data)
            if answer is None:
                data += await stream.receive()
                continue
            answers.append(answer)
            data = rest
    assert data == b"", f"more than {count} responses: {data[:200]!r}"
    return answers


async def read_answer(stream: SocketStream) -> Answer:
    return (await read_answers(stream, 1))[0]


async def listen(stream: SocketStream, seconds: float) -> bytes | None:
    """Wait up to ``seconds`` for the server: what it sent, b"" if it ended the connection, None
    if it stayed silent (and the connection open) all that time."""
    with anyio.move_on_after(seconds):
        try:
            return await stream.receive()
        except anyio.EndOfStream:
            return b""
    return None
