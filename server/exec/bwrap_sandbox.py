"""The bubblewrap engine: no daemon, millisecond start.

Each step of a run is one ``bwrap`` invocation over the runtime rootfs (read-only), with fresh
IPC, PID, network, UTS and cgroup namespaces (no network at all), a new session (no TIOCSTI),
a private /tmp and /dev/shm, the run's tmpfs at /work (and /results), a cleared environment and
the seccomp policy. bwrap runs as root only to set that up: inside, ``setpriv`` becomes uid 1000
with no capabilities, an empty bounding set and no-new-privs before the program starts. The
host puts the whole tree in a per-run cgroup first (memory = memory+swap, pids, CPU accounting,
freezer) and kills everything in it when the step ends, whatever happened.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import struct
import termios
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

from server.exec import cgroup, seccomp, workspace
from server.exec.cgroup import RunCgroup
from server.exec.languages.model import RESULTS_DIR, WORK_DIR, Step
from server.exec.output import CappedOutput
from server.exec.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import Limits, OutputSink, RunResult, RunSpec, Terminal, check_files
from server.exec.workspace import Workspace

logger = logging.getLogger(__name__)

#: How long output still in the pipes may take to pass on after the program ended.
DRAIN_SECONDS = 5.0
CPU_POLL_SECONDS = 0.05
# Runs in the host's /bin/sh as root: join the run's cgroup, hand the stdio pipes to the sandbox
# user (so /dev/stdin can be reopened inside), then become prlimit -> bwrap.
_JOIN = (
    'for f in $DUET_CGROUP_PROCS; do echo $$ > "$f" || exit 125; done; '
    'chown "$DUET_OWNER" /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2 || exit 125; exec "$@"'
)


def probe() -> str | None:
    """None if this engine can run here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() != 0:
        return "the bwrap engine needs root to create cgroups and mounts"
    return cgroup.available()


class BwrapSandbox:
    name = "bwrap"

    def __init__(self, rootfs: Path, work_base: Path) -> None:
        self.rootfs = rootfs
        self.work_base = work_base
        self._filter = seccomp.bpf_program()

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
        with Workspace(self.work_base, size=spec.limits.work_bytes, uid=RUNNER_UID, gid=RUNNER_GID) as ws:
            await anyio.to_thread.run_sync(ws.write, spec.files)
            wall = cpu = memory = 0
            result = RunResult(status="internal_error", message="no step to run")
            for step in spec.steps:
                is_run = step.name == "run"
                result = await self._step(
                    ws,
                    step,
                    spec,
                    on_output if is_run else None,
                    spec.stdin if is_run else b"",
                    stdin_stream if is_run else None,
                    stop,
                )
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
            if spec.collect:
                result.collected = await anyio.to_thread.run_sync(ws.collect)
        return result

    @asynccontextmanager
    async def terminal(self, spec: RunSpec) -> AsyncIterator[Terminal]:
        check_files(spec.files, spec.limits)
        step = spec.steps[-1]
        with Workspace(self.work_base, size=spec.limits.work_bytes, uid=RUNNER_UID, gid=RUNNER_GID) as ws:
            await anyio.to_thread.run_sync(ws.write, spec.files)
            group = RunCgroup()
            group.create(memory_bytes=spec.limits.memory_bytes, processes=spec.limits.processes)
            seccomp_fd = os.memfd_create("duet-seccomp", 0)
            master, slave = os.openpty()
            try:
                os.write(seccomp_fd, self._filter)
                os.lseek(seccomp_fd, 0, os.SEEK_SET)
                env = {**self._join_env(group), "TERM": "xterm-256color"}
                argv = ["/bin/sh", "-c", _JOIN, "duet-join", *self._command(ws, step, spec, seccomp_fd)]
                process = await anyio.open_process(
                    argv, stdin=slave, stdout=slave, stderr=slave, env=env, pass_fds=(seccomp_fd,)
                )
                os.close(slave)
                slave = -1
                async with process:
                    try:
                        yield PtyTerminal(master)
                    finally:
                        group.kill_all()
            finally:
                for fd in (slave, seccomp_fd):
                    if fd >= 0:
                        os.close(fd)
                os.close(master)
                await anyio.to_thread.run_sync(group.remove)

    def _join_env(self, group: RunCgroup) -> dict[str, str]:
        return {
            "DUET_CGROUP_PROCS": " ".join(group.procs_files),
            "DUET_OWNER": f"{RUNNER_UID}:{RUNNER_GID}",
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        }

    def _command(self, ws: Workspace, step: Step, spec: RunSpec, seccomp_fd: int) -> list[str]:
        limits = spec.limits.for_step(step.name)
        command = [
            "prlimit",
            "--core=0",
            f"--fsize={limits.work_bytes}",
            f"--nofile={limits.open_files}",
            "--",
            "bwrap",
            "--unshare-ipc",
            "--unshare-pid",
            "--unshare-net",
            "--unshare-uts",
            "--unshare-cgroup",
            "--hostname",
            "sandbox",
            "--die-with-parent",
            "--new-session",
            "--ro-bind",
            str(self.rootfs),
            "/",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--perms",
            "1777",
            "--size",
            str(limits.disk_bytes),
            "--tmpfs",
            "/tmp",
            "--perms",
            "1777",
            "--size",
            str(limits.disk_bytes),
            "--tmpfs",
            "/dev/shm",
            "--bind",
            str(ws.work),
            WORK_DIR,
        ]
        if spec.collect:
            command += ["--bind", str(ws.results), RESULTS_DIR]
        command += ["--chdir", WORK_DIR, "--clearenv"]
        for key, value in spec.env.items():
            command += ["--setenv", key, value]
        command += [
            "--seccomp",
            str(seccomp_fd),
            "--",
            "setpriv",
            f"--reuid={RUNNER_UID}",
            f"--regid={RUNNER_GID}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
            *step.argv,
        ]
        return command

    async def _step(
        self,
        ws: Workspace,
        step: Step,
        spec: RunSpec,
        on_output: OutputSink | None,
        stdin: bytes,
        stdin_stream: ByteReceiveStream | None,
        stop_requested: anyio.Event,
    ) -> RunResult:
        limits = spec.limits.for_step(step.name)
        group = RunCgroup()
        group.create(memory_bytes=limits.memory_bytes, processes=limits.processes)
        seccomp_fd = os.memfd_create("duet-seccomp", 0)
        try:
            os.write(seccomp_fd, self._filter)
            os.lseek(seccomp_fd, 0, os.SEEK_SET)
            argv = ["/bin/sh", "-c", _JOIN, "duet-join", *self._command(ws, step, spec, seccomp_fd)]
            env = self._join_env(group)
            return await _supervise(
                argv, env, seccomp_fd, group, limits, step, on_output, stdin, stdin_stream, stop_requested
            )
        finally:
            os.close(seccomp_fd)
            await anyio.to_thread.run_sync(group.remove)


async def _supervise(
    argv: list[str],
    env: dict[str, str],
    pass_fd: int,
    group: RunCgroup,
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
    started = time.monotonic()
    process = await anyio.open_process(argv, env=env, pass_fds=(pass_fd,), start_new_session=True)

    def stop(why: str) -> None:
        if not reason:
            reason.append(why)
        group.kill_all()

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

    async with process, anyio.create_task_group() as tg:
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
        group.kill_all()  # daemons and stragglers die with the step
        # what the program wrote before it ended is still in the pipes: pass all of it on
        with anyio.move_on_after(DRAIN_SECONDS):
            await drained.wait()
        tg.cancel_scope.cancel()
    return _result(process, group, step, stdout, stderr, reason[0] if reason else None, wall_ms, limits)


def _result(
    process: Process,
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
    elif code == 125 or (code == 1 and result.stderr.startswith("bwrap:")):
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
