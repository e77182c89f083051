"""The Docker engine: the same runtime rootfs as an image, single-use containers from a warm pool.

Docker creates and starts each container ahead of time, with every restriction
(``server.exec.engines.docker.sandbox``: no network, all capabilities dropped,
no-new-privileges, the project's seccomp profile, read-only root, memory == memory+swap, a pids
limit, one CPU, the runner uid (no host user's), logging off, labels the janitor sweeps by), its
work dir a host tmpfs bind-mounted in, and as its first process an agent connected to the host
over a unix socket. A run never goes through Docker: the host writes the files into the work
dir, hands each step to the agent with the program's pipes, supervises it as the bubblewrap
engine does (``server.exec.sandbox.supervision``: output caps, stdin, CPU and wall time, Stop),
kills the container's pid 1 to end everything at once, and reads
the reports from the results dir itself. Each container serves exactly one run and is then
removed off the request path, its workspace unmounted after it.

``oci_runtime="auto"`` uses crun when the engine has it registered and a container starts with
it, else the engine's default (the OCI runtime now only matters for creating containers).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.to_thread
import docker.errors
from anyio.abc import ByteReceiveStream

import docker
from server import tokens
from server.errors import Unavailable
from server.exec.engines.docker.sandbox import (
    AGENT_COMMAND,
    AGENT_CONNECT_SECONDS,
    ContainerConfig,
    ContainerShape,
    DockerSandbox,
    DockerStep,
    launch,
    remove_container,
)
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import (
    Limits,
    OutputSink,
    RunResult,
    RunSpec,
    Step,
    Terminal,
    check_files,
    seccomp,
    workspace,
)
from server.exec.sandbox.pty_terminal import PtyTerminal
from server.exec.sandbox.supervision import SandboxStartFailed, run_in_workspace, start_failed
from server.exec.sandbox.terminal_limits import limited
from server.exec.sandbox.warm_pool import WarmPool
from server.exec.sandbox.workspace import write_files

logger = logging.getLogger(__name__)

LABEL = "duet.sandbox"
JANITOR_SECONDS = 60.0
#: Containers older than this are removed whoever made them (pools recycle theirs long before).
MAX_CONTAINER_AGE = 24 * 3600.0


async def _remove(warm: DockerSandbox) -> None:
    await anyio.to_thread.run_sync(warm.remove)


async def probe() -> str | None:
    if os.geteuid() != 0:
        return "the Docker engine needs root (it mounts each sandbox's work dir and sets its cgroup)"

    def ping() -> str | None:
        try:
            docker.from_env(timeout=5).ping()
        except docker.errors.DockerException as exc:
            return f"no Docker engine answers ({exc.__class__.__name__})"
        return None

    return await anyio.to_thread.run_sync(ping)


async def oci_runtimes() -> set[str]:
    """The OCI runtimes the engine has registered."""

    def ask() -> set[str]:
        client = docker.from_env(timeout=5)
        try:
            return set(client.info().get("Runtimes") or {})
        finally:
            client.close()

    return await anyio.to_thread.run_sync(ask)


class DockerEngine:
    name = "docker"

    def __init__(
        self,
        rootfs: RuntimeRootfs,
        work_base: Path,
        *,
        pool_size: int = 2,
        defaults: Limits = Limits(),
        oci_runtime: str = "auto",
        agent_command: tuple[str, ...] = AGENT_COMMAND,
        agent_connect_seconds: float = AGENT_CONNECT_SECONDS,
    ) -> None:
        """``work_base``: where the sandboxes' workspaces are mounted (dockerd must see the same
        mounts: a local engine). ``agent_command`` and ``agent_connect_seconds``: the containers'
        first process and how long it has to connect (tests replace them)."""
        self.rootfs = rootfs
        self.work_base = work_base
        self.oci_runtime_setting = oci_runtime
        #: the OCI runtime containers are created with (None: the engine's default), set at start
        self.oci_runtime: str | None = None
        self.image = f"duet-runtime:{rootfs.key[:20]}"
        self.pool_size = pool_size
        self.defaults = defaults
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{tokens.new_id()}"
        self._agent_command = agent_command
        self._agent_connect_seconds = agent_connect_seconds
        self._client: docker.DockerClient | None = None
        self._profile = seccomp.docker_profile()
        self._pool = WarmPool(pool_size, self._launch_default, _remove, log=logger)

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise RuntimeError("DockerEngine is not running")
        return self._client

    # ---- lifetime ------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DockerEngine]:
        self._client = docker.from_env(timeout=60)
        await anyio.to_thread.run_sync(self._ensure_image)
        await anyio.to_thread.run_sync(self._sweep)
        self.oci_runtime = await self._choose_oci_runtime()
        try:
            async with self._pool.running(), anyio.create_task_group() as tg:
                tg.start_soon(self._janitor)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self._client.close()
            self._client = None

    def _ensure_image(self) -> None:
        try:
            self.client.images.get(self.image)
            return
        except docker.errors.ImageNotFound:
            pass
        started = time.monotonic()
        logger.info("importing the runtime image %s from %s", self.image, self.rootfs.path)
        tar = subprocess.Popen(
            ["tar", "--numeric-owner", "-C", str(self.rootfs.path), "-c", "."], stdout=subprocess.PIPE
        )
        assert tar.stdout is not None
        try:
            repository, tag = self.image.split(":")
            self.client.api.import_image(src=tar.stdout, repository=repository, tag=tag)
        finally:
            tar.stdout.close()
            tar.wait()
        logger.info("runtime image imported in %.0f s", time.monotonic() - started)

    @property
    def oci_runtime_name(self) -> str:
        return self.oci_runtime or "the engine's default"

    async def _choose_oci_runtime(self) -> str | None:
        """The configured OCI runtime if a sandbox starts with it (``auto``: crun, when the engine
        has it), else the engine's default, with the reason logged."""
        auto = self.oci_runtime_setting == "auto"
        wanted = "crun" if auto else self.oci_runtime_setting
        if not wanted or (auto and wanted not in await oci_runtimes()):
            return None
        try:
            warm = await self._launch(ContainerShape.of(self.defaults), oci_runtime=wanted)
        except (docker.errors.APIError, SandboxStartFailed) as exc:  # crun < 1.9 and hybrid cgroups
            log = logger.warning if auto else logger.error
            log("the engine's %s OCI runtime cannot start a sandbox, using its default: %s", wanted, exc)
            return None
        except (docker.errors.DockerException, OSError):  # not the OCI runtime's fault: the pool says so too
            logger.exception("could not start a sandbox to try the %s OCI runtime; using it anyway", wanted)
            return wanted
        await anyio.to_thread.run_sync(warm.remove)
        return wanted

    def _config(self, oci_runtime: str | None) -> ContainerConfig:
        return ContainerConfig(
            image=self.image,
            work_base=self.work_base,
            seccomp_profile=self._profile,
            labels={LABEL: "1", "duet.owner": self.owner, "duet.created": str(int(time.time()))},
            oci_runtime=oci_runtime,
            limits=self.defaults,
            agent_command=self._agent_command,
            connect_seconds=self._agent_connect_seconds,
        )

    async def _launch(self, shape: ContainerShape, *, oci_runtime: str | None = None) -> DockerSandbox:
        return await launch(self.client, self._config(oci_runtime or self.oci_runtime), shape)

    def _sweep(self) -> int:
        """Remove sandbox containers nobody will use: those of servers on this host that are gone,
        and any older than the longest a container may live (other hosts' servers included); then
        the workspaces of servers on this host that are gone."""
        removed = 0
        now = time.time()
        pooled = {warm.id for warm in self._pool.ready}
        # ignore_removed: containers removed while the list is read (the pool churns) are skipped,
        # not a NotFound that would end the janitor
        listed = self.client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True)
        for container in listed:
            if container.id in pooled:
                continue
            created = float(container.labels.get("duet.created", "0"))
            host, _, rest = container.labels.get("duet.owner", "").partition(":")
            pid = rest.partition(":")[0]
            orphan = host == socket.gethostname() and pid.isdigit() and not Path(f"/proc/{pid}").exists()
            if (orphan or now - created > MAX_CONTAINER_AGE) and remove_container(container):
                removed += 1
        workspaces = workspace.sweep(self.work_base)  # after their containers: nothing uses them
        if removed or workspaces:
            logger.info("janitor removed %d sandbox containers and %d workspaces", removed, workspaces)
        return removed

    async def _janitor(self) -> None:
        while True:
            await anyio.sleep(JANITOR_SECONDS)
            try:
                await anyio.to_thread.run_sync(self._sweep)
            except Exception:  # the engine answering badly once must not end the janitor
                logger.exception("the sandbox janitor failed; trying again later")

    async def _launch_default(self) -> DockerSandbox:
        return await self._launch(ContainerShape.of(self.defaults))

    async def _dispose(self, warm: DockerSandbox) -> None:
        """End everything in a used container now; remove it in the background."""
        warm.kill()
        await self._pool.dispose(warm)

    async def _take(self, limits: Limits) -> DockerSandbox:
        """A warm container when the run's file systems and ulimits are the pool's (its memory,
        pids and CPU limits are set per step), else a fresh one."""
        shape = ContainerShape.of(limits)
        warm = await self._pool.take() if shape == ContainerShape.of(self.defaults) else None
        if warm is not None:
            return warm
        try:
            return await self._launch(shape)
        except (docker.errors.DockerException, OSError) as exc:
            raise SandboxStartFailed(f"a sandbox container could not be started: {exc}") from exc

    # ---- a run -----------------------------------------------------------------------------------

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
            warm = await self._take(spec.limits)
        except SandboxStartFailed as exc:
            return start_failed(exc, spec.steps[0].name if spec.steps else "run")

        @asynccontextmanager
        async def launch_step(index: int, step: Step, limits: Limits) -> AsyncIterator[DockerStep]:
            started = warm.start(step.argv, spec.env, limits)  # every step in the same container
            try:
                yield started
            finally:
                await started.aclose()

        try:  # a step ends with nothing left: the agent, or the kernel for a killed container, saw to it
            return await run_in_workspace(
                warm.ws, spec, launch_step, on_output=on_output, stdin_stream=stdin_stream, stop=stop
            )
        finally:
            await self._dispose(warm)

    @asynccontextmanager
    async def terminal(self, spec: RunSpec) -> AsyncIterator[Terminal]:
        check_files(spec.files, spec.limits)
        step = spec.steps[-1]
        try:
            warm = await self._take(spec.limits)
        except SandboxStartFailed as exc:
            raise Unavailable(f"the sandbox could not start: {exc.detail[:300]}") from exc
        master = -1
        try:
            await write_files(warm.ws, spec.files)
            master, slave = os.openpty()
            limits = spec.limits.for_step(step.name)
            try:  # the agent makes the pty's slave the program's stdio and controlling terminal
                warm.hand_over(
                    step.argv,
                    {**spec.env, "TERM": "xterm-256color"},
                    limits,
                    (slave, slave, slave),
                    terminal=True,
                )
            except SandboxStartFailed as exc:
                raise Unavailable(f"the sandbox could not start: {exc.detail[:300]}") from exc
            finally:
                os.close(slave)
            async with limited(
                PtyTerminal(master), limits, cpu_ns=warm.cgroup.cpu_ns, kill=warm.kill
            ) as terminal:
                yield terminal
        finally:
            await self._dispose(warm)
            if master >= 0:
                os.close(master)
