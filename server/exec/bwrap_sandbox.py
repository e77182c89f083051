"""The bubblewrap engine: no daemon, a few milliseconds to start.

Each step of a run is one ``bwrap`` sandbox over the runtime rootfs (read-only), with fresh IPC,
PID, network, UTS and cgroup namespaces (no network at all), a new session (no TIOCSTI), a
private /tmp and /dev/shm, the run's tmpfs at /work (and /results), an environment of exactly
the language's variables and the seccomp policy. bwrap runs as root only to set that up: inside,
``setpriv`` becomes uid 1000 with no capabilities, an empty bounding set and no-new-privs before
anything of the run executes. Each step lives in its own cgroup (memory = memory+swap, pids, CPU
accounting, freezer) and everything in it is killed when the step ends, whatever happened.

Sandboxes for the default limits are prepared ahead (``server.exec.bwrap_launch``): a warm pool
of ``pool_size``, each used by exactly one run, refilled in the background. Processes are started
with ``vfork`` (``server.exec.child``), not through the event loop.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import struct
import termios
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from server.errors import Unavailable
from server.exec import cgroup, child, seccomp, workspace
from server.exec.bwrap_launch import Prepared, SandboxStartFailed, Shape, failure, prepare
from server.exec.cgroup import RunCgroup
from server.exec.languages.model import Step
from server.exec.output import CappedOutput
from server.exec.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import Limits, OutputSink, RunResult, RunSpec, Terminal, check_files
from server.exec.workspace import Workspace

logger = logging.getLogger(__name__)

#: How long output still in the pipes may take to pass on after the program ended.
DRAIN_SECONDS = 5.0
CPU_POLL_SECONDS = 0.05
#: After a failure to prepare a warm sandbox, wait this long before the next attempt.
REFILL_BACKOFF_SECONDS = 5.0
#: Files up to this size are written without a thread hop (tmpfs: no disk wait).
INLINE_WRITE_BYTES = 256 * 1024
#: Used sandboxes waiting for their teardown in the background; beyond it, runs tear down their own.
USED_BACKLOG = 64


def probe() -> str | None:
    """None if this engine can run here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() != 0:
        return "the bwrap engine needs root to create cgroups and mounts"
    return cgroup.available()


class BwrapSandbox:
    name = "bwrap"

    def __init__(
        self, rootfs: Path, work_base: Path, *, pool_size: int = 2, defaults: Limits = Limits()
    ) -> None:
        self.rootfs = rootfs
        self.work_base = work_base
        self.pool_size = pool_size
        self.defaults = defaults
        self._filter = seccomp.bpf_program()
        self._pool: list[Prepared] = []
        self._pool_changed = anyio.Event()
        self._used: MemoryObjectSendStream[Prepared] | None = None  # while running

    # ---- the warm pool ---------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BwrapSandbox]:
        """Keep ``pool_size`` sandboxes for the default limits ready while running (without
        it, every run prepares its own)."""
        send, receive = anyio.create_memory_object_stream[Prepared](USED_BACKLOG)
        self._used = send
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._refill)
                tg.start_soon(self._release_used, receive)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._used = None
            leftovers, self._pool = self._pool, []
            with contextlib.suppress(anyio.WouldBlock):
                while True:
                    leftovers.append(receive.receive_nowait())
            send.close()
            receive.close()
            with anyio.CancelScope(shield=True):
                for prepared in leftovers:
                    await _release(prepared)

    async def _release_used(self, used: MemoryObjectReceiveStream[Prepared]) -> None:
        """Used sandboxes are torn down off the request path (the result is already made)."""
        async for prepared in used:
            try:
                await _release(prepared)
            except Exception:  # never end the engine over one teardown; the sweep finds leftovers
                logger.exception("could not tear a used sandbox down")

    async def _dispose(self, prepared: Prepared) -> None:
        if self._used is not None:
            try:
                self._used.send_nowait(prepared)
                return
            except anyio.WouldBlock:  # a backlog: this run waits for its own teardown
                pass
        await _release(prepared)

    async def _refill(self) -> None:
        while True:
            while len(self._pool) < self.pool_size:
                try:
                    prepared = await self._prepare(Shape.of(self.defaults))
                except (SandboxStartFailed, OSError, Unavailable):
                    logger.exception("could not prepare a warm sandbox; trying again shortly")
                    await anyio.sleep(REFILL_BACKOFF_SECONDS)
                    continue
                self._pool.append(prepared)
            self._pool_changed = anyio.Event()
            await self._pool_changed.wait()

    async def _prepare(self, shape: Shape, *, stdio: int = child.PIPE) -> Prepared:
        """A sandbox over a workspace of its own (``_release`` ends both)."""
        ws = Workspace(self.work_base, size=shape.work_bytes, uid=RUNNER_UID, gid=RUNNER_GID)
        ws.__enter__()
        try:
            return await prepare(self.rootfs, ws, shape, self._filter, stdio=stdio)
        except BaseException:
            ws.__exit__(None, None, None)
            raise

    async def _take(self, limits: Limits) -> Prepared:
        while self._pool and Shape.of(limits) == Shape.of(self.defaults):
            prepared = self._pool.pop(0)
            self._pool_changed.set()
            if prepared.alive():
                return prepared
            logger.warning("a prepared sandbox died while waiting; taking another")
            await self._dispose(prepared)
        return await self._prepare(Shape.of(limits))

    # ---- runs ------------------------------------------------------------------------------------

    async def run(
        self,
        spec: RunSpec,
        *,
        on_output: OutputSink | None = None,
        stdin_stream: ByteReceiveStream | None = None,
        stop: anyio.Event | None = None,
    ) -> RunResult:
        check_files(spec.files, spec.limits)
        stop = stop or anyio.Event()
        try:
            first = await self._take(spec.limits)
        except SandboxStartFailed as exc:
            return _start_failed(exc, spec.steps[0].name if spec.steps else "run")
        ws = first.ws
        try:
            await _write_files(ws, spec.files)
            wall = cpu = memory = 0
            result = RunResult(status="internal_error", message="no step to run")
            for index, step in enumerate(spec.steps):
                is_run = step.name == "run"
                try:
                    # a later step (the run after a compile) gets a sandbox of its own, same files
                    prepared = (
                        first
                        if index == 0
                        else await prepare(self.rootfs, ws, Shape.of(spec.limits), self._filter)
                    )
                except SandboxStartFailed as exc:
                    result = _start_failed(exc, step.name)
                    break
                try:
                    result = await _step(
                        prepared,
                        step,
                        spec,
                        on_output if is_run else None,
                        spec.stdin if is_run else b"",
                        stdin_stream if is_run else None,
                        stop,
                    )
                finally:
                    await prepared.close()
                wall, cpu, memory = (
                    wall + result.wall_ms,
                    cpu + result.cpu_ms,
                    max(memory, result.memory_bytes),
                )
                if result.status != "ok":
                    if step.name == "compile" and result.status == "runtime_error":
                        result.status = "compile_error"
                    break
            result.wall_ms, result.cpu_ms, result.memory_bytes = wall, cpu, memory
            if spec.collect:  # nothing runs any more: every step's sandbox is closed
                result.collected = await anyio.to_thread.run_sync(ws.collect)
        finally:
            await self._dispose(first)
        return result

    @asynccontextmanager
    async def terminal(self, spec: RunSpec) -> AsyncIterator[Terminal]:
        check_files(spec.files, spec.limits)
        step = spec.steps[-1]
        master, slave = os.openpty()
        try:
            try:
                prepared = await self._prepare(Shape.of(spec.limits), stdio=slave)
            except SandboxStartFailed as exc:
                raise Unavailable(f"the sandbox could not start: {exc.detail[:300]}") from exc
            os.close(slave)
            slave = -1
            try:
                await _write_files(prepared.ws, spec.files)
                limits = spec.limits.for_step(step.name)
                prepared.start(step.argv, {**spec.env, "TERM": "xterm-256color"}, limits)
                yield PtyTerminal(master)
            finally:
                await _release(prepared)
        finally:
            if slave >= 0:
                os.close(slave)
            os.close(master)


async def _write_files(ws: Workspace, files: Mapping[str, bytes]) -> None:
    """Into the run's tmpfs: at once when small (a thread hop costs more than the writes)."""
    if sum(len(content) for content in files.values()) <= INLINE_WRITE_BYTES:
        ws.write(files)
    else:
        await anyio.to_thread.run_sync(ws.write, files)


async def _release(prepared: Prepared) -> None:
    """Close a sandbox and unmount the workspace it came with."""
    await prepared.close()
    prepared.ws.__exit__(None, None, None)


def _start_failed(exc: SandboxStartFailed, step: str) -> RunResult:
    logger.error("sandbox failed to start: %s", exc.detail[:500])
    return RunResult(
        status="internal_error", stderr=exc.detail, step=step, message="the sandbox could not start"
    )


async def _step(
    prepared: Prepared,
    step: Step,
    spec: RunSpec,
    on_output: OutputSink | None,
    stdin: bytes,
    stdin_stream: ByteReceiveStream | None,
    stop_requested: anyio.Event,
) -> RunResult:
    limits = spec.limits.for_step(step.name)
    started = time.monotonic()
    try:
        prepared.start(step.argv, spec.env, limits)
    except SandboxStartFailed:  # it died while waiting, usually saying why on the way out
        return _start_failed(await failure(prepared.process), step.name)
    return await _supervise(
        prepared,
        limits,
        step,
        on_output,
        stdin,
        stdin_stream,
        stop_requested,
        started,
    )


async def _supervise(
    prepared: Prepared,
    limits: Limits,
    step: Step,
    on_output: OutputSink | None,
    stdin: bytes,
    stdin_stream: ByteReceiveStream | None,
    stop_requested: anyio.Event,
    started: float,
) -> RunResult:
    stdout = CappedOutput("stdout", limits.output_bytes, on_output)
    stderr = CappedOutput("stderr", limits.output_bytes, on_output)
    reason: list[str] = []  # why the host ended the step, if it did
    process, group = prepared.process, prepared.group

    def stop(why: str) -> None:
        if not reason:
            reason.append(why)
        prepared.kill()

    async def pump(source: ByteReceiveStream | None, capped: CappedOutput) -> None:
        assert source is not None
        async for chunk in source:
            if not await capped.feed(chunk):
                stop("output_limit")

    async def feed_stdin(sink: ByteSendStream | None) -> None:
        assert sink is not None
        try:
            if stdin:
                await sink.send(stdin)
            if stdin_stream is not None:
                async for chunk in stdin_stream:
                    await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, BrokenPipeError):
            return  # the program stopped reading
        finally:
            await sink.aclose()

    async def watch_cpu() -> None:
        limit_ns = int(limits.cpu_seconds * 1e9)
        while True:
            await anyio.sleep(CPU_POLL_SECONDS)
            if group.cpu_ns() > limit_ns:
                stop("cpu")
                return

    async def watch_stop() -> None:
        await stop_requested.wait()
        stop("stopped")

    drained = anyio.Event()

    async def pumps() -> None:
        async with anyio.create_task_group() as both:
            both.start_soon(pump, process.stdout, stdout)
            both.start_soon(pump, process.stderr, stderr)
        drained.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_stop)
        tg.start_soon(pumps)
        tg.start_soon(feed_stdin, process.stdin)
        tg.start_soon(watch_cpu)
        with anyio.move_on_after(limits.wall_seconds) as deadline:
            await process.wait()
        if deadline.cancelled_caught:
            stop("wall")
            await process.wait()
        wall_ms = int((time.monotonic() - started) * 1000)
        prepared.kill()  # daemons and stragglers die with the step
        # what the program wrote before it ended is still in the pipes: pass all of it on
        with anyio.move_on_after(DRAIN_SECONDS):
            await drained.wait()
        tg.cancel_scope.cancel()
    return _result(process, group, step, stdout, stderr, reason[0] if reason else None, wall_ms, limits)


def _result(
    process: child.Child,
    group: RunCgroup,
    step: Step,
    stdout: CappedOutput,
    stderr: CappedOutput,
    stopped_for: str | None,
    wall_ms: int,
    limits: Limits,
) -> RunResult:
    code = process.returncode
    exit_code: int | None = code
    signal_number: int | None = None
    if code is not None and code < 0:
        exit_code, signal_number = None, -code
    elif code is not None and 128 < code <= 128 + 64:  # bwrap reports a child killed by signal N as 128+N
        exit_code, signal_number = None, code - 128
    result = RunResult(
        status="ok",
        stdout=stdout.text(),
        stderr=stderr.text(),
        exit_code=exit_code,
        signal=signal_number,
        wall_ms=wall_ms,
        cpu_ms=group.cpu_ns() // 1_000_000,
        memory_bytes=group.peak_memory(),
        stdout_truncated=stdout.truncated,
        stderr_truncated=stderr.truncated,
        step=step.name,
    )
    if stopped_for == "stopped":
        result.status, result.stopped, result.message = "runtime_error", True, "stopped"
    elif stopped_for == "output_limit":
        result.status, result.message = "output_limit", f"output over {limits.output_bytes} bytes: stopped"
    elif stopped_for == "wall":
        result.status, result.message = (
            "time_limit",
            f"still running after {limits.wall_seconds:g} s: stopped",
        )
    elif stopped_for == "cpu":
        result.status, result.message = (
            "time_limit",
            f"used more than {limits.cpu_seconds:g} s of CPU: stopped",
        )
    elif group.oom_killed():
        result.status, result.message = (
            "memory_limit",
            f"used more than {limits.memory_bytes} bytes of memory",
        )
    elif code == 1 and result.stderr.startswith("bwrap:"):
        result.status, result.message = "internal_error", "the sandbox could not start"
        logger.error("sandbox failed to start: %s", result.stderr[:500])
    elif code != 0:
        result.status = "runtime_error"
        if signal_number is not None:
            result.message = (
                f"killed by {signal.Signals(signal_number).name}"
                if signal_number in signal.valid_signals()
                else ""
            )
    return result


class PtyTerminal:
    """The host side of the pty: non-blocking reads and writes on the master."""

    def __init__(self, master: int) -> None:
        self._fd = master
        os.set_blocking(master, False)

    async def read(self) -> bytes:
        while True:
            await anyio.wait_readable(self._fd)
            try:
                return os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            except OSError:  # EIO: every slave end is closed, the program ended
                return b""

    async def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            await anyio.wait_writable(self._fd)
            try:
                view = view[os.write(self._fd, view) :]
            except BlockingIOError:
                continue
            except OSError:
                return

    async def resize(self, rows: int, cols: int) -> None:
        fcntl.ioctl(self._fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def sweep_orphans(work_base: Path) -> None:
    """Run groups and work directories a crashed server left behind are removed."""
    groups = cgroup.sweep_orphans()
    dirs = workspace.sweep(work_base)
    if groups or dirs:
        logger.warning("removed %d orphaned run cgroups and %d work directories", groups, dirs)
