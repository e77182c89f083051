"""A bubblewrap sandbox made ready ahead of its run, and started when the run comes.

Preparing is the slow part, so the engine does it off the request path (a warm pool, like the
Docker engine's): the run's tmpfs work directory is mounted, its cgroup made, and bwrap started
with ``--info-fd`` and ``--block-fd``. bwrap builds the namespaces and mounts, then its first
process waits; the host reads that process's pid and moves it into the cgroup (on cgroup v1 a
move into a fresh memory cgroup waits for an RCU grace period: milliseconds), so everything the
run ever starts is born inside it.

Starting is quick: the limits are (re)applied to the cgroup and, as rlimits, to the waiting
process; the block is lifted; bwrap loads the seccomp filter, becomes the sandbox's pid 1 and
runs ``setpriv`` (the runner uid ``RUNNER_UID``, no host user's; no capabilities, no-new-privs),
then a one-line ``bash`` trampoline (dash cannot name a descriptor above 9) that reads the step's
command from a pipe (environment and argv, shell-quoted, one line), closes that pipe and
``exec``s the command. Nothing of the run is inside before it starts. A started ``BwrapSandbox`` is
what ``server.exec.sandbox.supervision`` watches.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream

from server.exec.engines.bwrap import child
from server.exec.engines.bwrap.command_line import command_line, trampoline
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import RESULTS_DIR, WORK_DIR, Limits
from server.exec.sandbox.cgroup import RunCgroup
from server.exec.sandbox.pipes import PipeReader
from server.exec.sandbox.supervision import SandboxStartFailed
from server.exec.sandbox.workspace import Workspace

#: bwrap itself never needs long: past this, the sandbox did not start.
SETUP_SECONDS = 10.0
HOST_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
SETPRIV = (
    "setpriv",
    f"--reuid={RUNNER_UID}",
    f"--regid={RUNNER_GID}",
    "--clear-groups",
    "--inh-caps=-all",
    "--bounding-set=-all",
    "--no-new-privs",
    "--",
)


__all__ = ["BwrapSandbox", "SandboxStartFailed", "Shape", "failure", "prepare"]


@dataclass(frozen=True, slots=True)
class Shape:
    """What is fixed once a sandbox is prepared: the sizes of its file systems."""

    work_bytes: int
    disk_bytes: int

    @classmethod
    def of(cls, limits: Limits) -> Shape:
        return cls(limits.work_bytes, limits.disk_bytes)


class BwrapSandbox:
    """One sandbox, set up and waiting (see the module docstring). ``start`` once, ``close``
    always; ``process`` is bwrap, ``group`` the cgroup everything inside lives in. Once started
    it is a ``supervision.StartedStep``."""

    def __init__(
        self,
        ws: Workspace,
        group: RunCgroup,
        process: child.Child,
        pid: int,
        init: int,
        command: int,
        block: int,
    ) -> None:
        self.ws = ws
        self.group = group
        self.process = process
        self.pid = pid
        self._init = init  # a pidfd of the sandbox's first process (its pid 1 once started)
        self._command = command
        self._block = block
        self.started = 0.0  # time.monotonic() at start
        self.closed = False

    def alive(self) -> bool:
        """Still waiting to be started (nothing killed it meanwhile)."""
        return not select.select([self._init], [], [], 0)[0]  # a pidfd is readable once it exited

    def start(self, argv: Sequence[str], env: Mapping[str, str], limits: Limits) -> None:
        """Apply ``limits`` and let the sandbox run ``argv`` with exactly ``env``. Raises
        SandboxStartFailed if the waiting sandbox has gone."""
        line = command_line(argv, env)
        try:
            self.group.set_limits(memory_bytes=limits.memory_bytes, processes=limits.processes)
            for which, value in (
                (resource.RLIMIT_CORE, 0),
                (resource.RLIMIT_FSIZE, limits.work_bytes),
                (resource.RLIMIT_NOFILE, limits.open_files),
            ):
                resource.prlimit(self.pid, which, (value, value))
            os.write(self._command, line.encode() + b"\n")  # a pipe: the line fits its buffer
            self.started = time.monotonic()
            os.write(self._block, b"go")
        except OSError as exc:  # ProcessLookupError, BrokenPipeError: it died while waiting
            raise SandboxStartFailed(f"the prepared sandbox is gone: {exc}") from exc

    # ---- as a started step (server.exec.sandbox.supervision) -----------------------------------

    @property
    def stdin(self) -> ByteSendStream | None:
        return self.process.stdin

    @property
    def stdout(self) -> ByteReceiveStream | None:
        return self.process.stdout

    @property
    def stderr(self) -> ByteReceiveStream | None:
        return self.process.stderr

    async def wait(self) -> int | None:
        code = await self.process.wait()
        if 128 < code <= 128 + 64:  # bwrap reports a child killed by signal N as 128+N
            return -(code - 128)
        return code

    def end_stragglers(self) -> None:
        self.kill()

    def sandbox_failed(self, code: int | None, stderr: str) -> bool:
        return code == 1 and stderr.startswith("bwrap:")  # bwrap says why on stderr, then exits 1

    def cpu_ns(self) -> int:
        return self.group.cpu_ns()

    def peak_memory(self) -> int:
        return self.group.peak_memory()

    def oom_killed(self) -> bool:
        return self.group.oom_killed()

    def kill(self) -> None:
        """End everything inside at once: SIGKILL to the sandbox's pid 1 takes its whole pid
        namespace with it (nothing inside can leave it, or fork once it is dying)."""
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._init, signal.SIGKILL)

    async def close(self) -> None:
        """Kill whatever runs inside, wait for bwrap, remove the cgroup (the workspace is the
        caller's). Closing again does nothing."""
        if self.closed:
            return
        self.closed = True
        self.kill()
        for fd in (self._command, self._block, self._init):
            os.close(fd)
        with anyio.CancelScope(shield=True):
            await self.process.aclose()
            await anyio.to_thread.run_sync(self.group.remove)


async def prepare(
    rootfs: Path,
    ws: Workspace,
    shape: Shape,
    seccomp_filter: bytes,
    *,
    collect: bool = True,
    stdio: int = child.PIPE,
) -> BwrapSandbox:
    """Set up a sandbox over ``ws`` and leave it waiting. ``stdio``: pipes, or a pty's fd.
    Raises SandboxStartFailed when bwrap does not get as far as its sandbox."""
    group = RunCgroup()
    group.create()
    fds: list[int] = []
    try:
        seccomp_fd = os.memfd_create("duet-seccomp", os.MFD_CLOEXEC)
        fds.append(seccomp_fd)
        os.write(seccomp_fd, seccomp_filter)
        os.lseek(seccomp_fd, 0, os.SEEK_SET)
        info_read, info_write = os.pipe2(os.O_CLOEXEC)
        block_read, block_write = os.pipe2(os.O_CLOEXEC)
        command_read, command_write = os.pipe2(os.O_CLOEXEC)
        fds += [info_read, info_write, block_read, block_write, command_read, command_write]
        argv = _bwrap_argv(rootfs, ws, shape, seccomp_fd, info_write, block_read, command_read, collect)
        try:
            process = child.spawn(
                argv,
                env=HOST_ENV,
                stdin=stdio,
                stdout=stdio,
                stderr=stdio,
                pass_fds=(seccomp_fd, info_write, block_read, command_read),
                pipe_owner=(RUNNER_UID, RUNNER_GID),  # so /dev/stdin can be reopened inside
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxStartFailed(f"bwrap could not be started: {exc}") from exc
        for fd in (seccomp_fd, info_write, block_read, command_read):  # bwrap has them now
            os.close(fd)
            fds.remove(fd)
        fds.remove(info_read)
        try:
            pid = await _sandbox_pid(PipeReader(info_read), process)
            try:
                init = os.pidfd_open(pid)
                fds.append(init)
                await anyio.to_thread.run_sync(group.join, pid)
            except ProcessLookupError:  # its setup failed (a mount, say): it said why and exited
                raise await failure(process) from None
        except BaseException:
            # bwrap's own child may still be setting up (before --die-with-parent applies to it):
            # the whole process group goes, or that child would wait forever
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.aclose()
            raise
        fds.clear()
        return BwrapSandbox(ws, group, process, pid, init, command_write, block_write)
    except BaseException:
        for fd in fds:
            os.close(fd)
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(group.remove)
        raise


def _bwrap_argv(
    rootfs: Path,
    ws: Workspace,
    shape: Shape,
    seccomp_fd: int,
    info_fd: int,
    block_fd: int,
    command_fd: int,
    collect: bool,
) -> list[str]:
    argv = [
        "bwrap",
        "--info-fd",
        str(info_fd),
        "--block-fd",
        str(block_fd),
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
        str(rootfs),
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        str(shape.disk_bytes),
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        str(shape.disk_bytes),
        "--tmpfs",
        "/dev/shm",
        "--bind",
        str(ws.work),
        WORK_DIR,
    ]
    if collect:
        argv += ["--bind", str(ws.results), RESULTS_DIR]
    argv += ["--chdir", WORK_DIR, "--clearenv", "--seccomp", str(seccomp_fd), "--"]
    return [*argv, *SETPRIV, "/bin/bash", "-c", trampoline(command_fd)]


async def _sandbox_pid(info: PipeReader, process: child.Child) -> int:
    """The host pid of the sandbox's first process, from bwrap's ``--info-fd`` JSON (written,
    then closed, once the namespaces exist). Raises SandboxStartFailed if bwrap gives up first."""
    chunks: list[bytes] = []
    try:
        with anyio.move_on_after(SETUP_SECONDS):
            async for chunk in info:
                chunks.append(chunk)
    finally:
        await info.aclose()
    try:
        return int(json.loads(b"".join(chunks))["child-pid"])
    except (ValueError, KeyError, TypeError):
        raise await failure(process) from None


async def failure(process: child.Child) -> SandboxStartFailed:
    """What bwrap said on its way out (it exits after saying why)."""
    detail = b""
    if process.stderr is not None:  # bwrap says why on stderr, then exits
        with anyio.move_on_after(SETUP_SECONDS):
            async for chunk in process.stderr:
                detail += chunk[: 4096 - len(detail)]
    with anyio.move_on_after(SETUP_SECONDS):
        await process.wait()
    return SandboxStartFailed(detail.decode("utf-8", "replace") or f"bwrap exited with {process.returncode}")
