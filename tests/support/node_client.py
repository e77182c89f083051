"""Drive the Node Yjs client (tests/support/yjs_client.mjs) from a test: JSON lines in and out."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process
from anyio.streams.text import TextReceiveStream

from tests.support.prerequisites import missing

SCRIPT = Path(__file__).with_name("yjs_client.mjs")
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 15.0


class NodeClient:
    def __init__(self, process: Process) -> None:
        self.process = process
        assert process.stdout is not None
        self._lines = TextReceiveStream(process.stdout)
        self._buffer = ""

    async def send(self, **command: object) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send((json.dumps(command) + "\n").encode())

    async def expect(
        self, event: str, predicate: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        """The next event named ``event`` (matching ``predicate``), within the deadline."""
        with anyio.fail_after(DEADLINE):
            while True:
                while "\n" not in self._buffer:
                    self._buffer += await self._lines.receive()
                line, self._buffer = self._buffer.split("\n", 1)
                message: dict[str, Any] = json.loads(line)
                if message["event"] == event and (predicate is None or predicate(message)):
                    return message


@asynccontextmanager
async def node_client(base: str, session_id: str, token: str, name: str) -> AsyncIterator[NodeClient]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "y-websocket").is_dir():
        missing("Node.js with the project's npm packages (npm ci) is needed for interop tests")
    assert node is not None
    async with await anyio.open_process(
        [node, str(SCRIPT), base, session_id, token, name], cwd=ROOT
    ) as process:
        client = NodeClient(process)
        try:
            yield client
        finally:
            if process.returncode is None:
                process.terminate()
