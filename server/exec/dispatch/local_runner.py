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
from server.exec.sandbox import Engine, OutputSink, RunResult, RunSpec, Terminal


class LocalRunner:
    """Runs on this process's engine, at most ``slots`` at once, round-robin between groups."""

    def __init__(
        self,
        engine: Engine | None,
        *,
        slots: int,
        unavailable_reason: str = "",
        versions: Mapping[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.queue = FairQueue(slots)
        self._status = RunnerStatus(
            engine=engine.name if engine is not None else "none",
            available=engine is not None,
            reason="" if engine is not None else unavailable_reason,
            versions=dict(versions or {}),
            serving=engine is not None,
        )

    async def status(self) -> RunnerStatus:
        return self._status

    def _available(self) -> Engine:
        if self.engine is None:
            raise Unavailable(f"code cannot run on this server: {self._status.reason}")
        return self.engine

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
        engine = self._available()
        async with self.queue.slot(group, on_position):
            return await engine.run(spec, on_output=on_output, stdin_stream=stdin_stream, stop=stop)

    @asynccontextmanager
    async def terminal(self, spec: RunSpec, *, group: str) -> AsyncIterator[Terminal]:
        engine = self._available()
        async with self.queue.slot(group), engine.terminal(spec) as terminal:
            yield terminal
