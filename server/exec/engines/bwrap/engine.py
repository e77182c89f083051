"""The bubblewrap engine: no daemon, a few milliseconds to start.

Each step of a run is one ``bwrap`` sandbox over the runtime rootfs (read-only), with fresh IPC,
PID, network, UTS and cgroup namespaces (no network at all), a new session (no TIOCSTI), a
private /tmp and /dev/shm, the run's tmpfs at /work (and /results), an environment of exactly
the language's variables and the seccomp policy. bwrap runs as root only to set that up: inside,
``setpriv`` becomes the runner uid (no host user's) with no capabilities, an empty bounding set
and no-new-privs before anything of the run executes. Each step lives in its own cgroup (memory =
memory+swap, pids, CPU accounting, freezer) and everything in it is killed when the step ends,
whatever happened.

Sandboxes for the default limits are prepared ahead (``server.exec.engines.bwrap.sandbox``): a
warm pool of ``pool_size``, each used by exactly one run, refilled in the background. Processes
are started with ``vfork`` (``server.exec.engines.bwrap.child``), not through the event loop; a
started step is watched by ``server.exec.sandbox.supervision``, as the Docker engine's are.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream

from server.errors import Unavailable
from server.exec.engines.bwrap import child
from server.exec.engines.bwrap.sandbox import BwrapSandbox, Shape, failure, prepare
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import (
    Limits,
    OutputSink,
    RunResult,
    RunSpec,
    Step,
    Terminal,
    cgroup,
    check_files,
    seccomp,
    workspace,
)
from server.exec.sandbox.pty_terminal import PtyTerminal
from server.exec.sandbox.supervision import SandboxStartFailed, StartedStep, run_in_workspace, start_failed
from server.exec.sandbox.terminal_limits import limited
from server.exec.sandbox.warm_pool import WarmPool
from server.exec.sandbox.workspace import Workspace, write_files

logger = logging.getLogger(__name__)


def probe() -> str | None:
    """None if this engine can run here, else the reason it cannot."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if os.geteuid() != 0:
        return "the bwrap engine needs root to create cgroups and mounts"
    return seccomp.unavailable() or cgroup.available()


class BwrapEngine:
    name = "bwrap"

    def __init__(
        self, rootfs: Path, work_base: Path, *, pool_size: int = 2, defaults: Limits = Limits()
    ) -> None:
        self.rootfs = rootfs
        self.work_base = work_base
        self.pool_size = pool_size
        self.defaults = defaults
        self._filter = seccomp.bpf_program()
        self._pool = WarmPool(pool_size, self._prepare_default, _release, log=logger)

    # ---- the warm pool ---------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[BwrapEngine]:
        """Keep ``pool_size`` sandboxes for the default limits ready while running (without
        it, every run prepares its own)."""
        async with self._pool.running():
            yield self

    async def _prepare_default(self) -> BwrapSandbox:
        return await self._prepare(Shape.of(self.defaults))

    async def _prepare(self, shape: Shape, *, stdio: int = child.PIPE) -> BwrapSandbox:
        """A sandbox over a workspace of its own (``_release`` ends both)."""
        ws = Workspace(self.work_base, size=shape.work_bytes, uid=RUNNER_UID, gid=RUNNER_GID)
        ws.__enter__()
        try:
            return await prepare(self.rootfs, ws, shape, self._filter, stdio=stdio)
        except BaseException:
            ws.__exit__(None, None, None)
            raise

    async def _take(self, limits: Limits) -> BwrapSandbox:
        warm = await self._pool.take() if Shape.of(limits) == Shape.of(self.defaults) else None
        return warm or await self._prepare(Shape.of(limits))

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
        try:
            first = await self._take(spec.limits)
        except SandboxStartFailed as exc:
            return start_failed(exc, spec.steps[0].name if spec.steps else "run")
        ws = first.ws

        @asynccontextmanager
        async def launch(index: int, step: Step, limits: Limits) -> AsyncIterator[StartedStep]:
            # a later step (the run after a compile) gets a sandbox of its own over the same files
            prepared = (
                first if index == 0 else await prepare(self.rootfs, ws, Shape.of(spec.limits), self._filter)
            )
            try:
                try:
                    prepared.start(step.argv, spec.env, limits)
                except SandboxStartFailed:  # it died while waiting, usually saying why on the way out
                    raise await failure(prepared.process) from None
                yield prepared
            finally:
                await prepared.close()

        try:  # each step's sandbox is closed at the end of its launch
            return await run_in_workspace(
                ws, spec, launch, on_output=on_output, stdin_stream=stdin_stream, stop=stop
            )
        finally:
            await self._pool.dispose(first)

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
                await write_files(prepared.ws, spec.files)
                limits = spec.limits.for_step(step.name)
                # a session of its own with the pty as its controlling tty (bwrap's --new-session
                # left it none), so Ctrl-C and job control reach the program
                argv = ("setsid", "--wait", "--ctty", *step.argv)
                prepared.start(argv, {**spec.env, "TERM": "xterm-256color"}, limits)
                async with limited(
                    PtyTerminal(master), limits, cpu_ns=prepared.cpu_ns, kill=prepared.kill
                ) as terminal:
                    yield terminal
            finally:
                await _release(prepared)
        finally:
            if slave >= 0:
                os.close(slave)
            os.close(master)


async def _release(sandbox: BwrapSandbox) -> None:
    """Close a sandbox and unmount the workspace it came with."""
    await sandbox.close()
    sandbox.ws.__exit__(None, None, None)


def sweep_orphans(work_base: Path) -> None:
    """Sandboxes, run groups and work directories a crashed server left behind are removed."""
    stranded = _kill_stranded(work_base)
    groups = cgroup.sweep_orphans()
    dirs = workspace.sweep(work_base)
    if stranded or groups or dirs:
        logger.warning(
            "removed %d stranded sandboxes, %d orphaned run cgroups and %d work directories",
            stranded,
            groups,
            dirs,
        )


def _kill_stranded(work_base: Path) -> int:
    """SIGKILL bwrap processes over a work directory whose server is gone. One killed while it
    set up its sandbox leaves its child waiting on bwrap's own handshake, forever."""
    killed = 0
    prefix = f"{work_base}/run-"
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile
        if not argv or Path(os.fsdecode(argv[0])).name != "bwrap":
            continue
        owners = {
            arg.decode(errors="replace")[len(prefix) :].split("-", 1)[0]
            for arg in argv
            if arg.decode(errors="replace").startswith(prefix)
        }
        if owners and not any(owner.isdigit() and Path(f"/proc/{owner}").exists() for owner in owners):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)
                killed += 1
    return killed
