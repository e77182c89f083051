"""Where runs happen: on this node (``LocalRunner``) or on ``duet worker`` processes through Redis
(``server.exec.queue_runner.QueueRunner``). The Executor and the console only see ``Runner``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import Unavailable
from server.exec.fair_queue import FairQueue, PositionCallback
from server.exec.sandbox import OutputSink, RunResult, RunSpec, Sandbox, Terminal


@dataclass(frozen=True, slots=True)
class RunnerStatus:
    engine: str  # the isolation engine, e.g. "bwrap", "docker", "none"
    available: bool
    reason: str = ""  # why code cannot run, when not available
    #: This process's part works: its own engine is up, or the queue it submits to answers (a
    #: queue with no worker is not this node's fault, and /healthz does not fail for it).
    serving: bool = True
    versions: Mapping[str, str] = field(default_factory=dict)  # language id -> runtime version


class Runner(Protocol):
    async def status(self) -> RunnerStatus: ...

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
        """Run ``spec`` when its turn comes; ``group`` (the session) is the unit of fairness.
        Raises ``Unavailable`` when nothing can run it."""
        ...

    def terminal(self, spec: RunSpec, *, group: str) -> AbstractAsyncContextManager[Terminal]:
        """A program on a pty (see ``Sandbox.terminal``), once a slot is free for ``group``, held
        while it is open: a terminal is a run. Raises ``Unavailable`` likewise."""
        ...


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
