"""A client of the control channel (/sessions/{id}/events): JSON in, JSON out, waits with deadlines."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

DEADLINE = 20.0


class ControlClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self.frames: list[str | bytes] = []  # every frame as it arrived, for tests that read bytes
        self.arrived = anyio.Event()
        self.also_arrived = anyio.Event()  # the same, for one task watching beside ``expect``
        self.closed: ConnectionClosed | None = None

    async def send(self, **message: object) -> None:
        await self.ws.send(json.dumps(message))

    async def run(self) -> None:
        try:
            async for frame in self.ws:
                self.frames.append(frame)
                self.events.append(json.loads(frame))
                self.arrived.set()
                self.also_arrived.set()
        except ConnectionClosed as exc:
            self.closed = exc
        else:
            self.closed = ConnectionClosed(self.ws.protocol.close_rcvd, self.ws.protocol.close_sent)
        self.arrived.set()
        self.also_arrived.set()

    async def expect(
        self, kind: str, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> dict[str, Any]:
        """The first event of ``kind`` matching ``where`` (already received or still to come)."""
        seen = 0
        with anyio.fail_after(DEADLINE):
            while True:
                for event in self.events[seen:]:
                    if event.get("type") == kind and where(event):
                        return event
                seen = len(self.events)
                if self.closed is not None:
                    raise AssertionError(
                        f"closed ({self.closed}) before a {kind} event; got {self.events[-5:]}"
                    )
                self.arrived = anyio.Event()
                await self.arrived.wait()

    async def wait_closed(self) -> ConnectionClosed:
        with anyio.fail_after(DEADLINE):
            while self.closed is None:
                self.arrived = anyio.Event()
                await self.arrived.wait()
        return self.closed

    async def expect_text(self, kind: str, text: str) -> None:
        """Wait until the ``data`` of the ``kind`` events so far, joined, contains ``text`` (a
        program's output may arrive in any number of pieces)."""
        await self.expect(kind, lambda _: text in self.joined(kind))

    def joined(self, kind: str) -> str:
        return "".join(e["data"] for e in self.events if e.get("type") == kind)

    def output(self, run_id: str) -> str:
        return "".join(
            e["data"] for e in self.events if e.get("type") == "run.output" and e["run_id"] == run_id
        )


@asynccontextmanager
async def control_client(url: str) -> AsyncIterator[ControlClient]:
    async with connect(url, open_timeout=DEADLINE) as ws, anyio.create_task_group() as tg:
        client = ControlClient(ws)
        tg.start_soon(client.run)
        await client.expect("hello")
        yield client
        tg.cancel_scope.cancel()
