"""What runs code for the Executor and the console: a ``Runner``. Runs happen on this node
(``server.exec.dispatch.local_runner.LocalRunner``) or on ``duet worker`` processes through Redis
(``server.exec.dispatch.redis_runner.RedisRunner``); callers only see ``Runner``."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

import anyio
from anyio.abc import ByteReceiveStream

from server.exec.dispatch.fair_queue import PositionCallback
from server.exec.sandbox import OutputSink, RunResult, RunSpec, Terminal


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
        """A program on a pty (see ``Engine.terminal``), once a slot is free for ``group``, held
        while it is open: a terminal is a run. Raises ``Unavailable`` likewise."""
        ...
