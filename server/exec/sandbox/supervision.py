"""Supervising a run's steps, the same for every engine.

An engine starts each step its own way (bwrap lifts a prepared sandbox's block; Docker hands the
step to its container's agent) and gives back a ``StartedStep``: the program's stdin, stdout and
stderr as host pipes, its exit status, a way to kill everything in the sandbox at once, and the
cgroup that accounts for it. From there the work is the same: feed stdin, pass output on under
its cap, poll CPU time, enforce the wall time, honour Stop, drain what is left in the pipes, and
turn what happened into a ``RunResult``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream

from server.exec.sandbox.model import Limits, OutputSink, RunResult, RunSpec, Step
from server.exec.sandbox.output import CappedOutput
from server.exec.sandbox.workspace import Workspace, write_files

logger = logging.getLogger(__name__)

#: How long output still in the pipes may take to pass on after the program ended.
DRAIN_SECONDS = 5.0
CPU_POLL_SECONDS = 0.05


class SandboxStartFailed(Exception):
    """The sandbox could not run the step (it never got ready, or died while waiting);
    ``detail`` is what it said."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class StartedStep(Protocol):
    """A step running in a sandbox, as the supervisor sees it."""

    #: ``time.monotonic()`` when the step was handed to the sandbox (the wall clock starts there)
    started: float

    @property
    def stdin(self) -> ByteSendStream | None: ...

    @property
    def stdout(self) -> ByteReceiveStream | None: ...

    @property
    def stderr(self) -> ByteReceiveStream | None: ...

    async def wait(self) -> int | None:
        """The step's exit status as ``subprocess`` gives it (negative: killed by that signal);
        None when the sandbox ended without saying (it was killed)."""
        ...

    def kill(self) -> None:
        """End everything in the sandbox at once (a limit was hit, or Stop)."""
        ...

    def end_stragglers(self) -> None:
        """After the step's process ended: end whatever it left running."""
        ...

    def sandbox_failed(self, code: int | None, stderr: str) -> bool:
        """True when this exit means the sandbox, not the program, failed."""
        ...

    def cpu_ns(self) -> int: ...

    def peak_memory(self) -> int: ...

    def oom_killed(self) -> bool: ...


#: Starts step ``index`` of a run with its limits; once the context has ended, nothing of the
#: step runs any more.
StepLauncher = Callable[[int, Step, Limits], AbstractAsyncContextManager[StartedStep]]


async def run_in_workspace(
    ws: Workspace,
    spec: RunSpec,
    launch: StepLauncher,
    *,
    on_output: OutputSink | None,
    stdin_stream: ByteReceiveStream | None,
    stop: anyio.Event | None,
) -> RunResult:
    """Write ``spec``'s files into ``ws``, run its steps, then, in test mode, read the reports
    (every step has ended by then, and nothing inside runs any more to rewrite them)."""
    try:
        await write_files(ws, spec.files)
    except OSError as exc:  # check_files refuses what a work dir cannot hold; this is the rest
        logger.error("the run's files could not be written: %s", exc)
        return RunResult(status="internal_error", message=f"the files could not be written: {exc.strerror}")
    result = await run_steps(
        spec, launch, on_output=on_output, stdin_stream=stdin_stream, stop=stop or anyio.Event()
    )
    if spec.collect:
        result.collected = await anyio.to_thread.run_sync(ws.collect)
    return result


async def run_steps(
    spec: RunSpec,
    launch: StepLauncher,
    *,
    on_output: OutputSink | None,
    stdin_stream: ByteReceiveStream | None,
    stop: anyio.Event,
) -> RunResult:
    """Run ``spec``'s steps in order until one does not end ``ok`` (a failing compile step is a
    ``compile_error``); wall and CPU time add up over the steps, memory is the highest peak."""
    wall = cpu = memory = 0
    result = RunResult(status="internal_error", message="no step to run")
    for index, step in enumerate(spec.steps):
        is_run = step.name == "run"
        limits = spec.limits.for_step(step.name)
        try:
            async with launch(index, step, limits) as started:
                result = await supervise(
                    started,
                    limits,
                    step,
                    on_output if is_run else None,
                    spec.stdin if is_run else b"",
                    stdin_stream if is_run else None,
                    stop,
                )
        except SandboxStartFailed as exc:
            result = start_failed(exc, step.name)
            break
        wall, cpu, memory = wall + result.wall_ms, cpu + result.cpu_ms, max(memory, result.memory_bytes)
        if result.status != "ok":
            if step.name == "compile" and result.status == "runtime_error":
                result.status = "compile_error"
            break
    result.wall_ms, result.cpu_ms, result.memory_bytes = wall, cpu, memory
    return result


def start_failed(exc: SandboxStartFailed, step: str) -> RunResult:
    logger.error("sandbox failed to start: %s", exc.detail[:500])
    return RunResult(
        status="internal_error", stderr=exc.detail, step=step, message="the sandbox could not start"
    )


async def supervise(
    started: StartedStep,
    limits: Limits,
    step: Step,
    on_output: OutputSink | None,
    stdin: bytes,
    stdin_stream: ByteReceiveStream | None,
    stop_requested: anyio.Event,
) -> RunResult:
    stdout = CappedOutput("stdout", limits.output_bytes, on_output)
    stderr = CappedOutput("stderr", limits.output_bytes, on_output)
    reason: list[str] = []  # why the host ended the step, if it did

    def stop(why: str) -> None:
        if not reason:
            reason.append(why)
        started.kill()

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
            if started.cpu_ns() > limit_ns:
                stop("cpu")
                return

    async def watch_stop() -> None:
        await stop_requested.wait()
        stop("stopped")

    drained = anyio.Event()

    async def pumps() -> None:
        async with anyio.create_task_group() as both:
            both.start_soon(pump, started.stdout, stdout)
            both.start_soon(pump, started.stderr, stderr)
        drained.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_stop)
        tg.start_soon(pumps)
        tg.start_soon(feed_stdin, started.stdin)
        tg.start_soon(watch_cpu)
        with anyio.move_on_after(limits.wall_seconds) as deadline:
            code = await started.wait()
        if deadline.cancelled_caught:
            stop("wall")
            code = await started.wait()
        wall_ms = int((time.monotonic() - started.started) * 1000)
        started.end_stragglers()  # daemons and stragglers die with the step
        # what the program wrote before it ended is still in the pipes: pass all of it on
        with anyio.move_on_after(DRAIN_SECONDS):
            await drained.wait()
        tg.cancel_scope.cancel()
    return _result(code, started, step, stdout, stderr, reason[0] if reason else None, wall_ms, limits)


def _result(
    code: int | None,
    started: StartedStep,
    step: Step,
    stdout: CappedOutput,
    stderr: CappedOutput,
    stopped_for: str | None,
    wall_ms: int,
    limits: Limits,
) -> RunResult:
    signal_number = -code if code is not None and code < 0 else None
    result = RunResult(
        status="ok",
        stdout=stdout.text(),
        stderr=stderr.text(),
        exit_code=code if signal_number is None else None,
        signal=signal_number,
        wall_ms=wall_ms,
        cpu_ms=started.cpu_ns() // 1_000_000,
        memory_bytes=started.peak_memory(),
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
    elif started.oom_killed():
        result.status, result.message = (
            "memory_limit",
            f"used more than {limits.memory_bytes} bytes of memory",
        )
    elif code is None:
        result.status, result.message = "internal_error", "the sandbox ended without the program's status"
        logger.error("a sandbox ended during its %s step without reporting its status", step.name)
    elif started.sandbox_failed(code, result.stderr):
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
