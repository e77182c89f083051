"""Sandboxes prepared ahead of their run (server/exec/engines/bwrap/sandbox.py), through the bwrap
engine."""

from __future__ import annotations

import json
import os
import signal
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.engines.bwrap.engine import BwrapEngine
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import Limits, RunResult, RunSpec, Step
from tests.support.prerequisites import missing

pytestmark = pytest.mark.anyio

REPORT = """
import json, os, sys
print(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "fds": sorted(os.listdir("/proc/self/fd")),
                  "tmp": os.statvfs("/tmp").f_blocks * os.statvfs("/tmp").f_frsize}))
"""


@pytest.fixture
async def engine(runtime: RuntimeRootfs, tmp_path: Path) -> AsyncIterator[BwrapEngine]:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    async with BwrapEngine(runtime.path, tmp_path / "sandbox", pool_size=1).running() as sandbox:
        yield sandbox


@dataclass(frozen=True)
class Seen:
    """What REPORT saw from inside the sandbox."""

    argv: list[str]
    env: dict[str, str]
    fds: list[str]
    tmp: int  # the size of /tmp, bytes


async def report(sandbox: BwrapEngine, argv: list[str], env: dict[str, str], limits: Limits) -> Seen:
    spec = RunSpec(
        files={"report.py": textwrap.dedent(REPORT).encode()},
        steps=(Step("run", ("python3", "report.py", *argv)),),
        env=env,
        limits=limits,
    )
    result = await sandbox.run(spec)
    assert result.status == "ok", result
    return Seen(**json.loads(result.stdout))


@pytest.mark.parametrize(
    "limits",
    [Limits(wall_seconds=60), Limits(wall_seconds=60, disk_bytes=4 * 1024 * 1024)],
    ids=["warm", "cold"],
)
async def test_the_command_arrives_exactly_and_nothing_else_does(engine: BwrapEngine, limits: Limits) -> None:
    tricky = ["a b", "it's", 'say "hi"', "$HOME", "`id`", "; rm -rf /", "*", "ünïcode", ""]
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "WEIRD": "x'y\"z $(id) \\ end", "EMPTY": ""}
    seen = await report(engine, tricky, env, limits)
    assert seen.argv == tricky
    # exactly the step's environment (bash adds nothing the program keeps but these three)
    assert {k: v for k, v in seen.env.items() if k not in {"PWD", "SHLVL", "_"}} == env
    assert seen.fds == ["0", "1", "2", "3"]  # stdio, and the directory listing itself
    assert seen.tmp == limits.disk_bytes  # a cold sandbox gets the run's own sizes


async def test_a_sandbox_that_cannot_start_is_an_internal_error(
    tmp_path: Path, catalogue: LanguageCatalogue, runtime: RuntimeRootfs
) -> None:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    python = catalogue.get("python")
    spec = RunSpec(files={"main.py": b"print(1)"}, steps=python.steps("run"), env=python.environment())
    work = tmp_path / "sandbox"
    async with BwrapEngine(tmp_path / "no-such-rootfs", work, pool_size=1).running() as broken:
        for _ in range(2):  # the pool cannot fill either: each run says why, nothing is left behind
            result: RunResult = await broken.run(spec)
            assert (result.status, result.message) == ("internal_error", "the sandbox could not start")
            assert "bwrap" in result.stderr and "no-such-rootfs" in result.stderr
    assert list(work.iterdir()) == []


def bwrap_processes_over(directory: Path) -> list[int]:
    """Processes named bwrap whose arguments name something under ``directory``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"bwrap") and any(str(directory).encode() in arg for arg in argv):
            found.append(int(proc.name))
    return found


async def wait_gone(pids: list[int]) -> None:
    """Until every one of ``pids`` has exited (a pidfd becomes readable then)."""
    with anyio.fail_after(60):
        for pid in pids:
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:
                await anyio.wait_readable(pidfd)
            finally:
                os.close(pidfd)


async def test_a_preparation_cancelled_midway_leaves_no_process(
    tmp_path: Path, runtime: RuntimeRootfs
) -> None:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    work = tmp_path / "sandbox"
    for attempt in range(20):  # cancelled at different points of bwrap's setup
        with anyio.move_on_after(0.001 * attempt):
            async with BwrapEngine(runtime.path, work, pool_size=0).running() as sandbox:
                await sandbox.run(RunSpec(files={}, steps=(Step("run", ("true",)),), env={}))
    # a killed process may linger for a moment until init reaps it; one stuck would stay
    await wait_gone(bwrap_processes_over(work))
    assert bwrap_processes_over(work) == []
    assert list(work.iterdir()) == []


# a process that looks like one of the engine's (Debian's python: pyenv's would rewrite argv[0])
FAKE_BWRAP = (
    'exec -a bwrap /usr/bin/python3 -c "print(\'ready\', flush=True); import time; time.sleep(600)" "$@"'
)


async def test_a_dead_servers_stranded_sandbox_is_killed_at_start(tmp_path: Path) -> None:
    work = tmp_path / "sandbox"
    async with await anyio.open_process(["true"]) as gone:
        await gone.wait()  # its pid now belongs to nobody
    stranded = await anyio.open_process(
        ["bash", "-c", FAKE_BWRAP, "bwrap", "--bind", f"{work}/run-{gone.pid}-x/work", "/work"]
    )
    alive = await anyio.open_process(
        ["bash", "-c", FAKE_BWRAP, "bwrap", "--bind", f"{work}/run-{os.getpid()}-y/work", "/work"]
    )
    async with stranded, alive:
        try:
            for process in (stranded, alive):
                assert process.stdout is not None
                lines = BufferedByteReceiveStream(process.stdout)
                with anyio.fail_after(60):
                    assert await lines.receive_until(b"\n", 64) == b"ready"
            bwrap_engine.sweep_orphans(work)
            with anyio.fail_after(60):
                assert await stranded.wait() == -signal.SIGKILL
            assert alive.returncode is None  # a live server's sandbox is left alone
        finally:
            for process in (stranded, alive):
                if process.returncode is None:
                    process.kill()
