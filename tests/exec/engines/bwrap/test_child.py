"""Child processes started with vfork and watched through the event loop
(server/exec/engines/bwrap/child.py)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import anyio
import pytest

from server.exec.engines.bwrap import child
from server.exec.sandbox.pipes import PipeReader

pytestmark = pytest.mark.anyio

ENV = {"PATH": "/usr/bin:/bin"}


def owner(path: str) -> tuple[int, int]:
    info = Path(path).stat()
    return info.st_uid, info.st_gid


def open_fds() -> set[int]:
    return {int(path.name) for path in Path("/proc/self/fd").iterdir()}


async def read_all(stream: PipeReader | None) -> bytes:
    assert stream is not None
    return b"".join([chunk async for chunk in stream])


async def test_pipes_carry_stdin_stdout_and_stderr_and_the_status_comes_back() -> None:
    before = open_fds()
    code = (
        "import sys; data = sys.stdin.read(); print(data.upper()); print('err', file=sys.stderr); sys.exit(3)"
    )
    async with child.spawn([sys.executable, "-c", code], env=ENV) as process:
        assert process.stdin is not None
        await process.stdin.send(b"hello " * 20_000)  # more than a pipe holds: written as it drains
        await process.stdin.aclose()
        out, err = b"", b""
        async with anyio.create_task_group() as tg:

            async def collect_out() -> None:
                nonlocal out
                out = await read_all(process.stdout)

            async def collect_err() -> None:
                nonlocal err
                err = await read_all(process.stderr)

            tg.start_soon(collect_out)
            tg.start_soon(collect_err)
        assert await process.wait() == 3
    assert out == b"HELLO " * 20_000 + b"\n" and err == b"err\n"
    assert open_fds() == before  # every pipe end and the pidfd are closed


async def test_a_signal_is_a_negative_status_and_kill_ends_it() -> None:
    async with child.spawn(["sleep", "60"], env=ENV, stdin=child.PIPE) as process:
        process.kill()
        with anyio.fail_after(60):
            assert await process.wait() == -signal.SIGKILL
        process.kill()  # already gone: nothing happens


async def test_pipe_owner_owns_the_childs_ends() -> None:
    async with child.spawn(["sleep", "60"], env=ENV, pipe_owner=(4321, 4322)) as process:
        try:
            for fd in (0, 1, 2):
                assert owner(f"/proc/{process.pid}/fd/{fd}") == (4321, 4322)
        finally:
            process.kill()


async def test_handed_over_descriptors_and_a_writer_that_lost_its_reader() -> None:
    read_end, write_end = os.pipe()
    try:
        async with child.spawn(["true"], env=ENV, stdout=write_end, stdin=child.PIPE) as process:
            assert process.stdout is None and process.stdin is not None
            assert await process.wait() == 0
            with pytest.raises(anyio.BrokenResourceError):
                await process.stdin.send(b"x" * 1_000_000)  # nobody reads any more
    finally:
        os.close(read_end)
        os.close(write_end)


async def test_a_program_that_cannot_start_raises_and_leaks_nothing() -> None:
    before = open_fds()
    with pytest.raises(OSError):
        child.spawn(["/nonexistent/program"], env=ENV)
    assert open_fds() == before
