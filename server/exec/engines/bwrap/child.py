"""A child process started with ``vfork`` and watched through the event loop, whatever loop it is.

``anyio.open_process`` under uvloop (what ``duet serve`` runs on) goes through libuv, which
``fork``s the whole server for every child: with a server of 100+ MB that costs several ms of CPU
per run, and more in copy-on-write faults afterwards. ``subprocess.Popen`` uses ``vfork``; the
pipes are then read and written non-blocking through the loop, and the exit is seen through a
pidfd, so no child watcher (thread or signal handler) is involved. The pipes are the sandbox
core's (``server.exec.sandbox.pipes``), which the Docker engine hands its agent as well.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from types import TracebackType

import anyio

from server.exec.sandbox.pipes import PipeReader, PipeWriter, stdio_pipe


class Child:
    """A started process: ``stdin``/``stdout``/``stderr`` when they are pipes, ``wait()`` for
    its exit status (negative: killed by that signal, as with ``subprocess``)."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        stdin: PipeWriter | None,
        stdout: PipeReader | None,
        stderr: PipeReader | None,
    ) -> None:
        self._popen = popen
        self.pid = popen.pid
        self._pidfd = os.pidfd_open(popen.pid)
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    @property
    def returncode(self) -> int | None:
        return self._popen.returncode

    def kill(self) -> None:
        """SIGKILL, through the pidfd (never another process that reused the pid)."""
        if self._popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    async def wait(self) -> int:
        if self._popen.returncode is None:
            await anyio.wait_readable(self._pidfd)  # readable once the process has exited
            self._popen.wait()  # reaps it at once
        assert self._popen.returncode is not None
        return self._popen.returncode

    async def aclose(self) -> None:
        """Close our ends of the pipes and wait for the process (the caller ends it)."""
        for stream in (self.stdin, self.stdout, self.stderr):
            if stream is not None:
                await stream.aclose()
        if self._popen.returncode is None:
            with anyio.CancelScope(shield=True):
                await self.wait()
        os.close(self._pidfd)

    async def __aenter__(self) -> Child:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


#: Ask ``spawn`` for a pipe on that standard stream.
PIPE = -1


def spawn(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    stdin: int = PIPE,
    stdout: int = PIPE,
    stderr: int = PIPE,
    pass_fds: Sequence[int] = (),
    pipe_owner: tuple[int, int] | None = None,
    start_new_session: bool = False,
) -> Child:
    """Start ``argv`` (no shell). ``stdin``/``stdout``/``stderr``: ``PIPE`` or an fd to hand
    over. ``pipe_owner`` (uid, gid) owns the child's ends of the pipes, so a program running as
    that user can reopen them (``/dev/stdin``). Raises OSError if it cannot be started."""
    ours: list[int] = []  # the parent's ends
    theirs: list[int] = []  # the child's ends, closed here once it has them
    wanted: list[int] = []
    try:
        for index, given in enumerate((stdin, stdout, stderr)):
            if given != PIPE:
                wanted.append(given)
                ours.append(-1)
                continue
            child_end, parent_end = stdio_pipe(index, pipe_owner)
            theirs.append(child_end)
            ours.append(parent_end)
            wanted.append(child_end)
        popen = subprocess.Popen(  # an argv from the engine, never a shell
            list(argv),
            stdin=wanted[0],
            stdout=wanted[1],
            stderr=wanted[2],
            env=dict(env),
            pass_fds=tuple(pass_fds),
            start_new_session=start_new_session,
            close_fds=True,
        )
    except BaseException:
        for fd in ours + theirs:
            if fd >= 0:
                os.close(fd)
        raise
    for fd in theirs:
        os.close(fd)
    return Child(
        popen,
        PipeWriter(ours[0]) if ours[0] >= 0 else None,
        PipeReader(ours[1]) if ours[1] >= 0 else None,
        PipeReader(ours[2]) if ours[2] >= 0 else None,
    )
