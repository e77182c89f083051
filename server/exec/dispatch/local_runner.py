"""Runs on this node: the process's own engine behind the fair queue (``DUET_EXEC_SLOTS`` at once,
round-robin between sessions)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import Unavailable
from server.exec.dispatch.fair_queue import FairQueue, PositionCallback
from server.exec.dispatch.runner import RunnerStatus
from server.exec.sandbox import OutputSink, RunResult, RunSpec, Sandbox, Terminal


class LocalRunner:
    """Runs in this process's sandbox, at most ``slots`` at once, round-robin between groups."""

    def __init__(
        self,
        sandbox: Sandbox | None,
        *,
        slots: int,
        unavailable_reason: str = "",
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.queue = FairQueue(slots)
        self._status = RunnerStatus(
            engine=sandbox.name if sandbox is not None else "none",
            available=sandbox is not None,
            reason="" if sandbox is not None else unavailable_reason,
            versions=dict(versions or {}),
            serving=sandbox is not None,
        )

    async def status(self) -> RunnerStatus:
        return self._status

    def _sandbox(self) -> Sandbox:
        if self.sandbox is None:
            raise Unavailable(f"code cannot run on this server: {self._status.reason}")
        return self.sandbox

    async def run(
        self,
        spec: RunSpec,
        *,
        group: str,
        on_output: OutputSink | None = None,
        on_position: PositionCallback | None = None,
        stdin_stream: ByteReceiveStream | None = None,
        stop: anyio.Event | None = None,
    ) -> RunResult:
        sandbox = self._sandbox()
        async with self.queue.slot(group, on_position):
            return await sandbox.run(spec, on_output=on_output, stdin_stream=stdin_stream, stop=stop)

    @asynccontextmanager
    async def terminal(self, spec: RunSpec, *, group: str) -> AsyncIterator[Terminal]:
        sandbox = self._sandbox()
        async with self.queue.slot(group), sandbox.terminal(spec) as terminal:
            yield terminal
