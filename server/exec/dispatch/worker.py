"""``duet worker``: takes runs from the Redis job queue and runs them on this host's engine.

Any number of workers on any hosts share one queue. Each runs at most ``slots`` jobs at once and
claims a job only when it has a free slot, so a busy worker never holds work another could do.
It heartbeats so submitters know someone is there, and holds a lease on each job it runs, so a
worker that dies is noticed within seconds. A terminal holds its slot while it is open, as a run
does.

Redis going away (a restart, a network cut) never stops the worker: a job whose queue stops
answering ends (its submitter reports the run lost), and the worker waits for the queue to answer
again, then serves it as before (its heartbeat announces it again within a second).

A job whose submitter is gone (its node died: it no longer holds the job) is stopped, or skipped
if it has not started: nobody would see it, and it would hold a slot (a terminal, until its
program ends).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import cast

import anyio
from anyio.abc import ByteReceiveStream, TaskGroup
from redis.exceptions import RedisError

from server import tokens
from server.exec.dispatch.redis_queue import (
    HEARTBEAT_MS,
    LEASE_MS,
    Claimed,
    EntryField,
    InEntry,
    JobEntry,
    JobKind,
    JobStream,
    OutEntry,
    RunQueue,
    WorkerInfo,
)
from server.exec.dispatch.wire import decode_spec, encode_result
from server.exec.sandbox import Engine, RunResult, RunSpec, Stream, Terminal

logger = logging.getLogger(__name__)

IDLE_WAIT_SECONDS = 2.0
QUEUE_RETRY_SECONDS = 1.0  # between two attempts to reach a queue that does not answer
HEARTBEAT_RETRY_SECONDS = 0.5  # after a failed heartbeat: a Redis back empty knows no worker
#: Lease renewals in a row that find the job no longer held before the worker gives it up (one
#: miss may be a submitter's renewal delayed by a Redis hiccup).
ABANDONED_AFTER = 2


class Worker:
    def __init__(
        self, queue: RunQueue, engine: Engine, *, slots: int, versions: Mapping[str, str] | None = None
    ) -> None:
        self.queue = queue
        self.engine = engine
        self.info = WorkerInfo(
            worker_id=tokens.new_id(),
            engine=engine.name,
            slots=slots,
            host=socket.gethostname(),
            versions=dict(versions or {}),
        )
        self._slots = anyio.Semaphore(slots)
        self._draining = anyio.Event()
        self.jobs_done = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Worker]:
        """Serve the queue in the background; on exit stop claiming and finish what is running."""
        await self.queue.heartbeat(self.info)
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._heartbeats)
            tg.start_soon(self._claim_loop, tg)
            try:
                yield self
            finally:
                self._draining.set()
                await self._drained()
                tg.cancel_scope.cancel()
                with anyio.CancelScope(shield=True):
                    try:
                        await self.queue.leave(self.info.worker_id)
                    except RedisError as exc:  # its heartbeat expires on its own
                        logger.warning("could not leave the run queue: %s", exc)

    async def _drained(self) -> None:
        with anyio.CancelScope(shield=True):
            for _ in range(self.info.slots):
                await self._slots.acquire()

    async def _heartbeats(self) -> None:
        interval = HEARTBEAT_MS / 1000
        while True:
            await anyio.sleep(interval)
            interval = HEARTBEAT_RETRY_SECONDS
            try:
                await self.queue.heartbeat(self.info)
            except RedisError as exc:
                logger.warning("worker heartbeat failed: %s", exc)
            except Exception:
                logger.exception("worker heartbeat failed")
            else:
                interval = HEARTBEAT_MS / 1000

    async def _claim_loop(self, tg: TaskGroup) -> None:
        while not self._draining.is_set():
            await self._slots.acquire()
            if self._draining.is_set():
                self._slots.release()
                return
            try:
                claimed = await self.queue.claim(self.info.worker_id)
            except RedisError as exc:  # Redis going away must not stop the worker
                self._slots.release()
                await self._queue_down(exc)
                continue
            except Exception:
                self._slots.release()
                logger.exception("claiming from the run queue failed; retrying")
                await anyio.sleep(QUEUE_RETRY_SECONDS)
                continue
            if claimed is None:
                self._slots.release()
                try:
                    await self.queue.wait_for_work(IDLE_WAIT_SECONDS)
                except RedisError as exc:
                    await self._queue_down(exc)
                continue
            tg.start_soon(self._job, claimed)

    @staticmethod
    async def _queue_down(exc: RedisError) -> None:
        logger.warning("the run queue does not answer, retrying: %s", exc)
        await anyio.sleep(QUEUE_RETRY_SECONDS)

    async def _job(self, claimed: Claimed) -> None:
        job_id = claimed.job_id
        try:
            if not await self.queue.held(job_id):
                logger.info("job %s: its submitter is gone; skipping it", job_id)
                return
            await self.queue.send(job_id, OutEntry.STARTED, {EntryField.WORKER: self.info.worker_id})
            abandoned = anyio.Event()
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._keep_lease, job_id, abandoned)
                spec = decode_spec(claimed.job["spec"])
                if claimed.job["kind"] == JobKind.TERMINAL:  # a terminal is a run: it holds its slot
                    await self._terminal(job_id, spec, abandoned)
                else:
                    interactive = bool(claimed.job.get("interactive"))
                    await self._run(job_id, spec, abandoned, interactive=interactive)
                tg.cancel_scope.cancel()
        except Exception as exc:
            logger.exception("job %s failed in the worker", job_id)
            # telling the submitter needs the queue, which may be what failed: then its
            # submitter finds the lease gone and reports the run lost
            with anyio.CancelScope(shield=True), contextlib.suppress(RedisError):
                await self.queue.send(job_id, OutEntry.ERROR, {EntryField.DATA: f"the worker failed: {exc}"})
        finally:
            with anyio.CancelScope(shield=True):
                try:
                    await self.queue.release(job_id)
                    await self.queue.forget(job_id, after_seconds=60)
                except RedisError as exc:  # the lease and the streams expire on their own
                    logger.warning("could not release job %s: %s", job_id, exc)
            self.jobs_done += 1
            self._slots.release()

    async def _keep_lease(self, job_id: str, abandoned: anyio.Event) -> None:
        """Renew the job's lease; set ``abandoned`` once its submitter no longer holds it."""
        misses = 0
        while True:
            await anyio.sleep(LEASE_MS / 4000)
            await self.queue.renew(job_id, self.info.worker_id)
            misses = 0 if await self.queue.held(job_id) else misses + 1
            if misses == ABANDONED_AFTER and not abandoned.is_set():
                logger.warning("job %s: its submitter is gone; stopping it", job_id)
                abandoned.set()

    async def _commands(self, job_id: str) -> AsyncIterator[JobEntry]:
        """What the submitter sends (``InEntry``): stdin, eof, stop, terminal keys."""
        cursor = b"0-0"
        while True:
            for entry in await self.queue.receive(JobStream.IN, job_id, cursor, 1000):
                cursor = entry.id
                yield entry

    async def _run(self, job_id: str, spec: RunSpec, abandoned: anyio.Event, *, interactive: bool) -> None:
        stop = anyio.Event()
        send, receive = anyio.create_memory_object_stream[bytes](64)

        async def on_output(stream: Stream, chunk: bytes) -> None:
            await self.queue.send(
                job_id, OutEntry.OUTPUT, {EntryField.STREAM: stream, EntryField.DATA: chunk}
            )

        async def follow_commands() -> None:
            async for entry in self._commands(job_id):
                if entry.type == InEntry.STOP:
                    stop.set()
                elif entry.type == InEntry.EOF:
                    await send.aclose()
                elif entry.type == InEntry.STDIN:
                    # a program not reading its input loses what does not fit, as a full pipe would
                    with contextlib.suppress(anyio.WouldBlock, anyio.ClosedResourceError):
                        send.send_nowait(entry[EntryField.DATA])

        async def stop_if_abandoned() -> None:
            await abandoned.wait()
            stop.set()

        async with send, receive, anyio.create_task_group() as tg:
            tg.start_soon(follow_commands)
            tg.start_soon(stop_if_abandoned)
            try:
                result = await self.engine.run(
                    spec,
                    on_output=on_output,
                    stdin_stream=cast(ByteReceiveStream, receive) if interactive else None,
                    stop=stop,
                )
            except Exception as exc:
                logger.exception("sandbox run failed")
                result = RunResult(status="internal_error", message=f"the sandbox failed: {exc}")
            await self.queue.send(job_id, OutEntry.RESULT, {EntryField.DATA: encode_result(result)})
            tg.cancel_scope.cancel()

    async def _terminal(self, job_id: str, spec: RunSpec, abandoned: anyio.Event) -> None:
        async with self.engine.terminal(spec) as terminal, anyio.create_task_group() as tg:
            await self.queue.send(job_id, OutEntry.TERMINAL_READY)

            async def close_if_abandoned() -> None:
                await abandoned.wait()
                tg.cancel_scope.cancel()

            tg.start_soon(close_if_abandoned)

            async def output() -> None:
                while data := await terminal.read():
                    await self.queue.send(job_id, OutEntry.TERMINAL_OUTPUT, {EntryField.DATA: data})
                tg.cancel_scope.cancel()

            tg.start_soon(output)
            await self._drive_terminal(job_id, terminal)
            tg.cancel_scope.cancel()
        await self.queue.send(job_id, OutEntry.TERMINAL_CLOSED, {EntryField.REASON: terminal.ended_by})

    async def _drive_terminal(self, job_id: str, terminal: Terminal) -> None:
        async for entry in self._commands(job_id):
            if entry.type == InEntry.STOP:
                return
            if entry.type == InEntry.WRITE:
                await terminal.write(entry[EntryField.DATA])
            elif entry.type == InEntry.RESIZE:
                await terminal.resize(_size(entry, EntryField.ROWS), _size(entry, EntryField.COLS))


def _size(entry: JobEntry, name: EntryField) -> int:
    return max(1, min(int(entry[name]), 1000))
