"""A run caught while it is in a state the test wants to look at: the program prints a ready line,
then waits for a line on stdin; the test waits for that output (with a generous deadline, never
for a clock), looks at the host, and lets the program go on when its block ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio

from server.exec.sandbox import Engine, RunResult, RunSpec, Stream
from tests.support.run_stdin import as_stdin

#: How long the host waits for a line a program prints when it is ready (the machine may be busy).
READY_SECONDS = 60.0


class StreamedOutput:
    """Collects a run's output as it streams, and says when a piece of it has appeared."""

    def __init__(self) -> None:
        self.text = ""
        self.ended = False
        self._changed = anyio.Event()

    async def __call__(self, stream: Stream, chunk: bytes) -> None:
        self.text += chunk.decode(errors="replace")
        self._wake()

    def end(self) -> None:
        """The run is over: nothing more will come."""
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def wait_for(self, piece: str, within: float = READY_SECONDS) -> None:
        """Until ``piece`` has been printed, or the run has ended without it."""
        with anyio.fail_after(within):
            while piece not in self.text and not self.ended:
                await self._changed.wait()


@dataclass
class Paused:
    """A run that printed its ready line and waits for a line on stdin; ``result`` once released."""

    output: StreamedOutput
    result: RunResult | None = None


@asynccontextmanager
async def paused(engine: Engine, spec: RunSpec, *, ready: str) -> AsyncIterator[Paused]:
    """Run ``spec`` until its program prints ``ready``; it gets a line on stdin when the block
    ends, and ``result`` is set once the run is over."""
    run = Paused(StreamedOutput())
    send, receive = anyio.create_memory_object_stream[bytes](1)
    async with send, receive, anyio.create_task_group() as tg:

        async def go() -> None:
            try:
                run.result = await engine.run(spec, on_output=run.output, stdin_stream=as_stdin(receive))
            finally:
                run.output.end()

        tg.start_soon(go)
        await run.output.wait_for(ready)
        assert run.result is None, f"the program ended before it printed {ready!r}: {run.result}"
        yield run
        await send.send(b"go on\n")
    assert run.result is not None
