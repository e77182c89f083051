"""The submitting side of the Redis job queue: a ``Runner`` whose runs happen on ``duet worker``s.

A run is queued for its group (session); while it waits its position is reported; once a worker
claims it, output streams back as it comes, stdin and Stop travel the other way, and the result
ends it. A worker that dies mid-run lets its lease expire: the run then ends with
``internal_error`` saying so, instead of waiting forever. A run nobody claims within
``queue_timeout`` seconds is withdrawn with 503. The other way round, the submitter holds the
job while it follows it (``RunQueue.hold``): if its node dies, the worker stops the job, or skips
it if it has not started, instead of running it for nobody.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
from anyio.abc import ByteReceiveStream
from redis.exceptions import RedisError

from server import tokens
from server.errors import Unavailable
from server.exec.dispatch.fair_queue import PositionCallback
from server.exec.dispatch.redis_queue import (
    LEASE_MS,
    EntryField,
    InEntry,
    JobEntry,
    JobKind,
    JobStream,
    OutEntry,
    RunQueue,
)
from server.exec.dispatch.runner import RunnerStatus
from server.exec.dispatch.wire import decode_result, encode_spec
from server.exec.sandbox import OutputSink, RunResult, RunSpec, Stream, Terminal

logger = logging.getLogger(__name__)

POLL_MS = 500  # how often a waiting run checks its position and a running one its worker's lease
NO_WORKER = "no `duet worker` is connected to this server's Redis: start one (see docs/exec.md)"
WORKER_LOST = "the worker running this program stopped before it finished"
QUEUE_DOWN = "the run queue (Redis) does not answer"


class _WorkerLost(Exception):
    pass


@dataclass(eq=False)
class _Job:
    """One submitted job as the submitter follows it."""

    queue: RunQueue
    job_id: str
    group: str
    started: bool = False
    cursor: bytes = b"0-0"
    pending: deque[JobEntry] = field(default_factory=deque)

    async def next(self, on_position: PositionCallback | None, deadline: float) -> JobEntry:
        """The next entry of the job's out stream, watching the queue and the lease meanwhile."""
        position = -1
        while not self.pending:
            entries = await self.queue.receive(JobStream.OUT, self.job_id, self.cursor, POLL_MS)
            if entries:
                self.pending.extend(entries)
                break
            if not self.started:
                now = await self.queue.position(self.job_id, self.group)
                if now > 0:
                    if now != position and on_position is not None:
                        on_position(now)
                    position = now
                    if anyio.current_time() > deadline and await self.queue.cancel(self.job_id, self.group):
                        raise Unavailable("no worker took the run in time: every worker is busy or gone")
                    continue
            if not await self.queue.leased(self.job_id):
                # the lease may have ended with the result written just after our read
                self.pending.extend(await self.queue.receive(JobStream.OUT, self.job_id, self.cursor, None))
                if not self.pending:
                    raise _WorkerLost
        entry = self.pending.popleft()
        self.cursor = entry.id
        if entry.type == OutEntry.STARTED:
            self.started = True
        return entry

    async def send(
        self, entry: InEntry, fields: Mapping[EntryField, str | bytes | int] | None = None
    ) -> None:
        await self.queue.send(self.job_id, entry, fields)

    async def withdraw(self) -> None:
        """The submitter gives up: take the job out of the queue, or stop it where it runs."""
        if not await self.queue.cancel(self.job_id, self.group):
            await self.send(InEntry.STOP)
        await self.queue.forget(self.job_id, after_seconds=60)


@asynccontextmanager
async def holding(handle: _Job) -> AsyncIterator[None]:
    """Hold the job for the body (every LEASE_MS / 4), whatever the body waits on: output that
    waits for the recording allowance, a terminal nobody types into."""

    async def hold() -> None:
        while True:
            await anyio.sleep(LEASE_MS / 4000)
            with contextlib.suppress(RedisError):  # the run itself notices Redis going
                await handle.queue.hold(handle.job_id)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
    except BaseExceptionGroup as group:  # only the body raises: hand its exception on as it was
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise


class RedisRunner:
    def __init__(self, queue: RunQueue, *, queue_timeout: float = 300.0) -> None:
        self.queue = queue
        self.queue_timeout = queue_timeout

    async def status(self) -> RunnerStatus:
        try:
            workers = await self.queue.live_workers()
        except RedisError as exc:
            return RunnerStatus(engine="queue", available=False, reason=f"{QUEUE_DOWN}: {exc}", serving=False)
        if not workers:
            return RunnerStatus(engine="queue", available=False, reason=NO_WORKER)
        engines = sorted({w.engine for w in workers})
        engine = "queue: " + ", ".join(engines)
        return RunnerStatus(engine=engine, available=True, versions=workers[0].versions)

    @asynccontextmanager
    async def _submitted(self, group: str, job: dict[str, Any]) -> AsyncIterator[_Job]:
        """The job on the queue for the body; withdrawn (or stopped) however the body ends. Redis
        failing on the way in is a 503; once a job runs, losing Redis loses the run like losing
        its worker would."""
        handle = _Job(self.queue, tokens.new_id(), group)
        try:
            if not await self.queue.live_workers():
                raise Unavailable(f"code cannot run right now: {NO_WORKER}")
            await self.queue.enqueue(handle.job_id, group, job)
        except RedisError as exc:
            raise Unavailable(f"code cannot run right now: {QUEUE_DOWN}") from exc
        try:
            yield handle
        except RedisError as exc:
            raise Unavailable(f"the run was lost: {QUEUE_DOWN}") from exc
        finally:
            with anyio.CancelScope(shield=True), contextlib.suppress(RedisError):
                await handle.withdraw()

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
        job = {"kind": JobKind.RUN, "spec": encode_spec(spec), "interactive": stdin_stream is not None}
        deadline = anyio.current_time() + self.queue_timeout
        async with self._submitted(group, job) as handle, holding(handle):
            outcome: RunResult | Exception | None = None
            async with anyio.create_task_group() as tg:

                async def forward_stdin() -> None:
                    assert stdin_stream is not None
                    with contextlib.suppress(RedisError):  # the run itself notices Redis going
                        async for chunk in stdin_stream:
                            await handle.send(InEntry.STDIN, {EntryField.DATA: chunk})
                        await handle.send(InEntry.EOF)

                async def forward_stop() -> None:
                    assert stop is not None
                    await stop.wait()
                    with contextlib.suppress(RedisError):
                        if not await self.queue.cancel(handle.job_id, group):
                            await handle.send(InEntry.STOP)
                            return
                    tg.cancel_scope.cancel()  # withdrawn before it started: no outcome

                if stdin_stream is not None:
                    tg.start_soon(forward_stdin)
                if stop is not None:
                    tg.start_soon(forward_stop)
                try:
                    outcome = await self._follow(handle, on_output, on_position, deadline)
                except (Unavailable, RedisError) as exc:
                    outcome = exc  # raised below, outside the task group, so not as a group
                tg.cancel_scope.cancel()
            if isinstance(outcome, Exception):
                raise outcome
        return outcome or RunResult(status="runtime_error", stopped=True, message="stopped before it started")

    @staticmethod
    async def _follow(
        handle: _Job, on_output: OutputSink | None, on_position: PositionCallback | None, deadline: float
    ) -> RunResult:
        """The job's output until its result (or its worker's loss)."""
        try:
            while True:
                entry = await handle.next(on_position, deadline)
                if entry.type == OutEntry.OUTPUT and on_output is not None:
                    stream: Stream = "stdout" if entry[EntryField.STREAM] == b"stdout" else "stderr"
                    await on_output(stream, entry[EntryField.DATA])
                elif entry.type == OutEntry.RESULT:
                    return decode_result(entry[EntryField.DATA])
        except _WorkerLost:
            return RunResult(status="internal_error", message=WORKER_LOST)

    @asynccontextmanager
    async def terminal(self, spec: RunSpec, *, group: str) -> AsyncIterator[Terminal]:
        job = {"kind": JobKind.TERMINAL, "spec": encode_spec(spec)}
        deadline = anyio.current_time() + self.queue_timeout
        async with self._submitted(group, job) as handle, holding(handle):
            while True:
                try:
                    entry = await handle.next(None, deadline)
                except _WorkerLost:
                    raise Unavailable(WORKER_LOST) from None
                if entry.type == OutEntry.TERMINAL_READY:
                    break
                if entry.type == OutEntry.ERROR:
                    raise Unavailable(entry[EntryField.DATA].decode(errors="replace"))
            yield _RedisTerminal(handle)


class _RedisTerminal:
    def __init__(self, handle: _Job) -> None:
        self._handle = handle
        self._ended = False
        self.ended_by = ""

    async def read(self) -> bytes:
        while not self._ended:
            try:
                entry = await self._handle.next(None, float("inf"))
            except (_WorkerLost, RedisError):  # the worker or the queue is gone: the terminal ends
                self._ended = True
                break
            if entry.type == OutEntry.TERMINAL_OUTPUT:
                return entry[EntryField.DATA]
            if entry.type in {OutEntry.TERMINAL_CLOSED, OutEntry.ERROR}:
                self._ended = True
                self.ended_by = entry.get(EntryField.REASON).decode(errors="replace")
        return b""

    async def write(self, data: bytes) -> None:
        with contextlib.suppress(RedisError):  # read() reports the end
            await self._handle.send(InEntry.WRITE, {EntryField.DATA: data})

    async def resize(self, rows: int, cols: int) -> None:
        with contextlib.suppress(RedisError):
            await self._handle.send(InEntry.RESIZE, {EntryField.ROWS: rows, EntryField.COLS: cols})
