"""A Docker sandbox made ready ahead of its run: a started container whose agent waits for steps.

Docker does what it is good at, ahead of time (the engine's warm pool): it creates and starts an
isolated container. Nothing of a run goes through Docker afterwards.

Preparing:

1. A workspace (``server.exec.sandbox.workspace``: a host tmpfs, size and inode capped, the
   same as a bubblewrap sandbox's) with a control directory beside ``work/`` and ``results/``; the host
   listens on ``ctl/agent.sock`` (``server.exec.engines.docker.agent_channel``).
2. Docker creates and starts the container: no network, all capabilities dropped,
   no-new-privileges, the project's seccomp profile, read-only root, memory == memory+swap, a
   pids limit, one CPU, the runner uid (``RUNNER_UID``, no host user's), private IPC and cgroup
   namespaces, logging off, labels for the janitor; ``work/`` bind-mounted at ``/work`` and
   ``results/`` at ``/results`` (read-write), ``ctl/`` at ``/run/duet`` (read-only), a private
   tmpfs ``/tmp``. Its first process is the agent (``/opt/duet/duet-agent``, compiled into the
   runtime rootfs).
3. The agent connects; the host accepts that one connection (from the container's first
   process, or the container is discarded), closes the listener and removes the socket.

Starting a step: its limits go into the container's cgroup (and its peak memory is reset), the
host makes the program's pipes, and the step goes to the agent with the pipes' other ends. The
step's files were written into the workspace by the host; its reports are read from there by the
host.

Ending: SIGKILL through a pidfd to the agent, the container's pid 1, ends every process in the
container at once (as SIGKILL to a bubblewrap sandbox's pid 1 does); Docker removes the container
off the request path and the workspace is unmounted after it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import anyio
import docker.errors
from anyio.abc import ByteReceiveStream, ByteSendStream
from docker.models.containers import Container
from docker.types import LogConfig, Mount, Ulimit

import docker
from server.exec.engines.docker import agent_channel
from server.exec.engines.docker.agent_channel import CONTROL_DIR, AgentConnection
from server.exec.runtime.rootfs import AGENT_BINARY, RUNNER_GID, RUNNER_UID
from server.exec.sandbox import RESULTS_DIR, WORK_DIR, Limits
from server.exec.sandbox.cgroup import ContainerCgroup
from server.exec.sandbox.pipes import PipeReader, PipeWriter, stdio_pipe
from server.exec.sandbox.supervision import SandboxStartFailed
from server.exec.sandbox.workspace import Workspace

logger = logging.getLogger(__name__)

#: The container's first process: the agent, told where the host listens.
AGENT_COMMAND = (AGENT_BINARY, f"{CONTROL_DIR}/{agent_channel.SOCKET_NAME}")
#: A started container's agent connects within milliseconds; past this, the container is dropped.
AGENT_CONNECT_SECONDS = 10.0
_RUNNER = (RUNNER_UID, RUNNER_GID)


@dataclass(frozen=True, slots=True)
class ContainerShape:
    """What is fixed once a container is created: the sizes of its file systems, its ulimits."""

    work_bytes: int
    disk_bytes: int
    open_files: int

    @classmethod
    def of(cls, limits: Limits) -> ContainerShape:
        return cls(limits.work_bytes, limits.disk_bytes, limits.open_files)


@dataclass(frozen=True, slots=True)
class ContainerConfig:
    """What every sandbox container of one engine is created with."""

    image: str
    work_base: Path
    seccomp_profile: str
    labels: Mapping[str, str]
    #: the OCI runtime (None: the engine's default)
    oci_runtime: str | None
    #: the limits a container starts with; each step sets its own in the cgroup
    limits: Limits
    agent_command: Sequence[str] = AGENT_COMMAND
    connect_seconds: float = AGENT_CONNECT_SECONDS


async def launch(
    client: docker.DockerClient, config: ContainerConfig, shape: ContainerShape
) -> DockerSandbox:
    """A started container over a fresh workspace, its agent connected (see the module
    docstring). Raises SandboxStartFailed when the agent does not connect, or Docker's error
    when the container cannot be created; nothing is left behind either way."""
    ws = Workspace(config.work_base, size=shape.work_bytes, uid=RUNNER_UID, gid=RUNNER_GID)
    ws.__enter__()
    try:
        control = ws.root / "ctl"
        control.mkdir(mode=0o755)
        listener = agent_channel.AgentListener(control, uid=RUNNER_UID, gid=RUNNER_GID)
        try:
            with anyio.CancelScope(shield=True):  # a container made must be known, to be removed
                container = await anyio.to_thread.run_sync(_create, client, config, shape, ws, control)
        except BaseException:
            listener.close()
            raise
        try:
            return await _connect(container, ws, listener, config.connect_seconds)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(remove_container, container)
            raise
    except BaseException:
        ws.__exit__(None, None, None)
        raise


def _create(
    client: docker.DockerClient, config: ContainerConfig, shape: ContainerShape, ws: Workspace, control: Path
) -> Container:
    limits = config.limits
    container = client.containers.create(
        config.image,
        runtime=config.oci_runtime,
        command=list(config.agent_command),
        init=False,  # the agent is pid 1 (see agent/duet-agent.c beside this module)
        user=f"{RUNNER_UID}:{RUNNER_GID}",
        working_dir=WORK_DIR,
        hostname="sandbox",
        network_mode="none",
        cap_drop=["ALL"],
        security_opt=["no-new-privileges", f"seccomp={config.seccomp_profile}"],
        read_only=True,
        mounts=[
            Mount(WORK_DIR, str(ws.work), type="bind"),
            Mount(RESULTS_DIR, str(ws.results), type="bind"),
            Mount(CONTROL_DIR, str(control), type="bind", read_only=True),
        ],
        tmpfs={"/tmp": f"rw,nosuid,nodev,size={shape.disk_bytes},mode=1777"},
        shm_size=shape.disk_bytes,
        mem_limit=limits.memory_bytes,
        memswap_limit=limits.memory_bytes,
        mem_swappiness=0,
        pids_limit=limits.processes,
        nano_cpus=1_000_000_000,
        ipc_mode="private",
        cgroupns="private",  # as bwrap's --unshare-cgroup: the host's cgroup paths stay out of sight
        log_config=LogConfig(type="none"),
        ulimits=[
            Ulimit(name="nofile", soft=shape.open_files, hard=shape.open_files),
            Ulimit(name="fsize", soft=shape.work_bytes, hard=shape.work_bytes),
            Ulimit(name="core", soft=0, hard=0),
        ],
        labels=dict(config.labels),
        environment={},
    )
    try:
        container.start()
        container.reload()  # for its first process's pid
    except BaseException:
        remove_container(container)
        raise
    return container


async def _connect(
    container: Container, ws: Workspace, listener: agent_channel.AgentListener, seconds: float
) -> DockerSandbox:
    pid = int(container.attrs["State"]["Pid"])
    agent = await agent_channel.accept_agent(listener, pid, seconds)
    try:
        pidfd = os.pidfd_open(pid)
        try:
            if not agent.idle():  # it went away after connecting: the pid may be another's now
                raise SandboxStartFailed("the sandbox's agent ended right after it connected")
            return DockerSandbox(container, ws, agent, pidfd, ContainerCgroup(pid))
        except BaseException:
            os.close(pidfd)
            raise
    except BaseException:
        agent.close()
        raise


def remove_container(container: Container) -> bool:
    """Kill and remove ``container``; False if the engine refused (the janitor tries again)."""
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        return True
    except docker.errors.APIError as exc:
        logger.warning("could not remove container %s: %s", container.short_id, exc)
        return False
    return True


class DockerSandbox:
    """A started sandbox container whose agent waits for steps (``start`` each, ``kill`` to end
    everything inside, ``remove`` always)."""

    def __init__(
        self, container: Container, ws: Workspace, agent: AgentConnection, pidfd: int, cgroup: ContainerCgroup
    ) -> None:
        self.container = container
        self.ws = ws
        self.agent = agent
        self.cgroup = cgroup
        self._pidfd = pidfd  # the agent: the container's pid 1

    @property
    def id(self) -> str:
        return str(self.container.id)

    def alive(self) -> bool:
        """Still waiting for a step (nothing killed it meanwhile)."""
        exited = select.select([self._pidfd], [], [], 0)[0]  # a pidfd is readable once it exited
        return not exited and self.agent.idle()

    def hand_over(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        limits: Limits,
        stdio: tuple[int, int, int],
        *,
        terminal: bool = False,
    ) -> float:
        """Apply ``limits`` and have the agent run ``argv`` with exactly ``env`` on ``stdio``;
        returns when it was handed over (``time.monotonic()``). Raises SandboxStartFailed if the
        container has gone."""
        try:
            self.cgroup.set_limits(memory_bytes=limits.memory_bytes, processes=limits.processes)
            self.cgroup.reset_peak()
        except OSError as exc:  # its cgroup went with it
            raise SandboxStartFailed(f"the sandbox container is gone: {exc}") from exc
        started = time.monotonic()
        self.agent.send_step(argv, env, stdio, terminal=terminal)
        return started

    def start(self, argv: Sequence[str], env: Mapping[str, str], limits: Limits) -> DockerStep:
        """Run a step on fresh pipes (see ``hand_over``)."""
        ends: list[tuple[int, int]] = []  # (the agent's end, ours) for stdin, stdout, stderr
        try:
            for index in range(3):
                ends.append(stdio_pipe(index, _RUNNER))
            cpu_before = self.cgroup.cpu_ns()
            started = self.hand_over(argv, env, limits, (ends[0][0], ends[1][0], ends[2][0]))
        except BaseException:
            for _, ours in ends:
                os.close(ours)
            raise
        finally:
            for theirs, _ in ends:  # the agent has its own copies now
                os.close(theirs)
        return DockerStep(
            self, PipeWriter(ends[0][1]), PipeReader(ends[1][1]), PipeReader(ends[2][1]), cpu_before, started
        )

    def kill(self) -> None:
        """End everything in the container at once: SIGKILL to its pid 1 takes the whole pid
        namespace with it."""
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    async def ended(self) -> None:
        """Wait until the agent, and so every process of the container, is gone (the kernel
        ends a pid namespace's other processes before its init counts as exited)."""
        await anyio.wait_readable(self._pidfd)

    def remove(self) -> None:
        """Kill, remove the container, then unmount its workspace (blocking: call in a thread)."""
        self.kill()
        remove_container(self.container)
        self.agent.close()
        os.close(self._pidfd)
        self.ws.__exit__(None, None, None)


class DockerStep:
    """A step running in a warm container, as ``server.exec.sandbox.supervision`` watches it."""

    def __init__(
        self,
        warm: DockerSandbox,
        stdin: PipeWriter,
        stdout: PipeReader,
        stderr: PipeReader,
        cpu_before: int,
        started: float,
    ) -> None:
        self._warm = warm
        self._streams = (stdin, stdout, stderr)
        self._cpu_before = cpu_before
        self.started = started

    @property
    def stdin(self) -> ByteSendStream:
        return self._streams[0]

    @property
    def stdout(self) -> ByteReceiveStream:
        return self._streams[1]

    @property
    def stderr(self) -> ByteReceiveStream:
        return self._streams[2]

    async def wait(self) -> int | None:
        status = await self._warm.agent.status()
        if status is None:  # killed: wait until nothing in it can still write (a report, say)
            await self._warm.ended()
            return None
        try:
            return os.waitstatus_to_exitcode(status)
        except ValueError:
            return None

    def kill(self) -> None:
        self._warm.kill()

    def end_stragglers(self) -> None:
        """Nothing to do: the agent ended them before it reported the step's status."""

    def sandbox_failed(self, code: int | None, stderr: str) -> bool:
        return False  # the agent's own failures end its connection: no status at all

    def cpu_ns(self) -> int:
        return self._warm.cgroup.cpu_ns() - self._cpu_before

    def peak_memory(self) -> int:
        return self._warm.cgroup.peak_memory()

    def oom_killed(self) -> bool:
        return self._warm.cgroup.oom_killed()

    async def aclose(self) -> None:
        for stream in self._streams:
            await stream.aclose()
