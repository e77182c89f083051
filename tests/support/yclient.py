"""A real y-websocket client in Python: pycrdt document + the standard wire protocol.

It answers the server's sync step 1, applies step 2 and updates, keeps awareness states, and
tracks acknowledgements (the server echoes an accepted update back to its sender).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from pycrdt import Doc, Map, Text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.sync import protocol
from server.sync.protocol import AwarenessMessage, SyncMessage, SyncType

DEADLINE = 10.0


class YClient:
    def __init__(self, ws: ClientConnection, name: str = "client", doc: Doc[Any] | None = None) -> None:
        self.ws = ws
        self.name = name
        self.doc: Doc[Any] = doc if doc is not None else Doc()
        self.synced = anyio.Event()
        self.changed = anyio.Event()
        self.awareness: dict[int, Any] = {}
        self.frames: list[bytes] = []
        self.closed: ConnectionClosed | None = None
        self.closed_event = anyio.Event()
        self._pending: set[bytes] = set()
        self.clock = 0

    # ---- document helpers ----------------------------------------------------------------------

    @property
    def files(self) -> Map[Text]:
        """path -> content"""
        files: Map[Text] = self.doc.get("files", type=Map)
        return files

    @property
    def meta(self) -> Map[str]:
        """the active file, the language per file"""
        meta: Map[str] = self.doc.get("meta", type=Map)
        return meta

    def text(self, path: str) -> str:
        value = self.files.get(path)
        return str(value) if value is not None else ""

    async def edit(self, change: Callable[[Doc[Any]], None]) -> bytes:
        """Change the local doc and send the update; returns it (see ``wait_ack``)."""
        before = self.doc.get_state()
        with self.doc.transaction():
            change(self.doc)
        update = self.doc.get_update(before)
        self._pending.add(update)
        await self.ws.send(protocol.sync_update(update))
        return update

    async def insert(self, path: str, index: int, content: str) -> bytes:
        def change(doc: Doc[Any]) -> None:
            files: Map[Text] = doc.get("files", type=Map)
            if path not in files:
                files[path] = Text()
            files[path].insert(index, content)

        return await self.edit(change)

    async def wait_ack(self, update: bytes) -> None:
        await self.wait_for(lambda: update not in self._pending, f"ack of {len(update)} bytes")

    async def set_awareness(self, state: dict[str, Any] | None) -> None:
        self.clock += 1
        entry = protocol.AwarenessEntry(self.doc.client_id, self.clock, json.dumps(state).encode())
        await self.ws.send(protocol.awareness_frame(protocol.encode_awareness([entry])))

    async def wait_for(self, condition: Callable[[], bool], what: str = "condition") -> None:
        with anyio.fail_after(DEADLINE):
            while not condition():
                if self.closed is not None:
                    raise AssertionError(f"{self.name}: closed ({self.closed}) while waiting for {what}")
                self.changed = anyio.Event()
                await self.changed.wait()

    async def wait_for_text(self, path: str, condition: Callable[[str], bool]) -> None:
        """Until the text of ``path`` meets ``condition``."""
        await self.wait_for(lambda: condition(self.text(path)), f"the text of {path}")

    async def wait_closed(self) -> ConnectionClosed:
        with anyio.fail_after(DEADLINE):
            await self.closed_event.wait()
        assert self.closed is not None
        return self.closed

    # ---- protocol ------------------------------------------------------------------------------

    async def run(self) -> None:
        await self.ws.send(protocol.sync_step1(self.doc.get_state()))
        try:
            async for frame in self.ws:
                assert isinstance(frame, bytes), "the server sent a text frame"
                self.frames.append(frame)
                await self._handle(frame)
                self.changed.set()
        except ConnectionClosed as exc:
            self.closed = exc
        else:
            self.closed = ConnectionClosed(self.ws.protocol.close_rcvd, self.ws.protocol.close_sent)
        self.closed_event.set()
        self.changed.set()

    async def _handle(self, frame: bytes) -> None:
        message = protocol.parse_frame(frame)
        if isinstance(message, SyncMessage):
            if message.kind is SyncType.STEP1:
                await self.ws.send(protocol.sync_step2(self.doc.get_update(message.payload)))
                return
            self.doc.apply_update(message.payload)
            self._pending.discard(message.payload)
            if message.kind is SyncType.STEP2:
                self.synced.set()
        elif isinstance(message, AwarenessMessage):
            for entry in protocol.parse_awareness(message.payload):
                if entry.removed:
                    self.awareness.pop(entry.client_id, None)
                else:
                    self.awareness[entry.client_id] = json.loads(entry.state)


async def frames_until_close(ws: ClientConnection) -> list[bytes | str]:
    """Everything a server sends before it closes the socket (whatever the close code)."""
    frames: list[bytes | str] = []
    with anyio.fail_after(DEADLINE):
        try:
            while True:
                frames.append(await ws.recv())
        except ConnectionClosed:
            return frames


@asynccontextmanager
async def yclient(
    url: str, name: str = "client", *, sync: bool = True, doc: Doc[Any] | None = None
) -> AsyncIterator[YClient]:
    """Connect, run the protocol, wait for the first sync. ``doc`` reuses a document, as a
    provider does when it reconnects (its unacknowledged edits go up in sync step 2)."""
    async with connect(url, max_size=None, open_timeout=DEADLINE) as ws, anyio.create_task_group() as tg:
        client = YClient(ws, name, doc)
        tg.start_soon(client.run)
        if sync:
            with anyio.fail_after(DEADLINE):
                await client.synced.wait()
        yield client
        tg.cancel_scope.cancel()
