"""The Docker engine: the same runtime rootfs as an image, single-use containers from a warm pool.

Containers are created and started ahead of time (``sleep infinity`` under Docker's init), each
serves exactly one run and is then removed. Every container: no network, all capabilities
dropped, no-new-privileges, the project's seccomp profile, read-only root, tmpfs /work (exec
allowed, size-capped), /results and /tmp, memory == memory+swap, a pids limit, one CPU, uid 1000,
logging off, and labels the janitor sweeps by. Files go in and results come out through ``tar``
inside the container (Docker's archive API does not see tmpfs mounts); result entries that are
not regular files are ignored. The host enforces wall time and CPU time and kills the container.

Docker's latency here is its OCI runtime's: every step is an exec, and runc (Go) takes some 55 ms
to exec ``/bin/true``, crun (C) some 30. ``runtime="auto"`` uses crun when the engine has it
registered and a container starts with it, else the engine's default.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import tarfile
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import anyio
import anyio.to_thread
import docker.errors
from anyio.abc import ByteReceiveStream
from docker.models.containers import Container

import docker
from server import tokens
from server.exec import docker_streams, seccomp
from server.exec.languages.model import RESULTS_DIR, WORK_DIR, Step
from server.exec.output import CappedOutput
from server.exec.rootfs import RUNNER_GID, RUNNER_UID, RuntimeRootfs
from server.exec.sandbox import Limits, OutputSink, RunResult, RunSpec, Terminal, check_files
from server.exec.workspace import MAX_COLLECTED_BYTES, MAX_COLLECTED_FILES

logger = logging.getLogger(__name__)

LABEL = "duet.sandbox"
CPU_POLL_SECONDS = 0.05
JANITOR_SECONDS = 60.0
#: Containers older than this are removed whoever made them (pools recycle theirs long before).
MAX_CONTAINER_AGE = 24 * 3600.0
# $0 is the archive's size: read exactly that much of stdin (head never reads past -c), unpack
# it into /work, then exec the step: the rest of stdin is the program's.
_UNPACK_THEN_EXEC = 'head -c "$0" | tar -x -C /work -f - || exit 125; exec "$@"'


async def probe() -> str | None:
    def ping() -> str | None:
        try:
            docker.from_env(timeout=5).ping()
        except docker.errors.DockerException as exc:
            return f"no Docker engine answers ({exc.__class__.__name__})"
        return None

    return await anyio.to_thread.run_sync(ping)


async def runtimes() -> set[str]:
    """The OCI runtimes the engine has registered."""

    def ask() -> set[str]:
        client = docker.from_env(timeout=5)
        try:
            return set(client.info().get("Runtimes") or {})
        finally:
            client.close()

    return await anyio.to_thread.run_sync(ask)


def _tmpfs(limits: Limits) -> dict[str, str]:
    owner = f"uid={RUNNER_UID},gid={RUNNER_GID}"
    return {
        WORK_DIR: f"rw,exec,nosuid,nodev,size={limits.work_bytes},nr_inodes=2048,mode=0755,{owner}",
        RESULTS_DIR: f"rw,noexec,nosuid,nodev,size={MAX_COLLECTED_BYTES},mode=0755,{owner}",
        "/tmp": f"rw,nosuid,nodev,size={limits.disk_bytes},mode=1777",
    }


class DockerSandbox:
    name = "docker"

    def __init__(
        self, rootfs: RuntimeRootfs, *, pool_size: int = 2, defaults: Limits = Limits(), runtime: str = "auto"
    ) -> None:
        self.rootfs = rootfs
        self.runtime_setting = runtime
        #: the runtime containers are created with (None: the engine's default), set at start
        self.runtime: str | None = None
        self.image = f"duet-runtime:{rootfs.key[:20]}"
        self.pool_size = pool_size
        self.defaults = defaults
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{tokens.new_id()}"
        self._client: docker.DockerClient | None = None
        self._pool: list[Container] = []
        self._pool_changed = anyio.Event()
        self._profile = seccomp.docker_profile()
        self._cgroups: dict[str, _Cgroup] = {}
        self._used_send, self._used_receive = anyio.create_memory_object_stream[Container](1000)

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            raise RuntimeError("DockerSandbox is not running")
        return self._client

    # ---- lifetime ------------------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[DockerSandbox]:
        self._client = docker.from_env(timeout=60)
        await anyio.to_thread.run_sync(self._ensure_image)
        await anyio.to_thread.run_sync(self._sweep)
        self.runtime = await anyio.to_thread.run_sync(self._choose_runtime)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._refill)
                tg.start_soon(self._janitor)
                tg.start_soon(self._remove_used)
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                self._used_send.close()
                leftovers, self._pool = list(self._pool), []
                with contextlib.suppress(anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                    while True:
                        leftovers.append(self._used_receive.receive_nowait())
                self._used_receive.close()
                for container in leftovers:
                    await anyio.to_thread.run_sync(self._remove, container)
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
    def runtime_name(self) -> str:
        return self.runtime or "the engine's default"

    def _choose_runtime(self) -> str | None:
        """The configured runtime if a container starts with it (``auto``: crun, when the engine
        has it), else the engine's default, with the reason logged."""
        auto = self.runtime_setting == "auto"
        wanted = "crun" if auto else self.runtime_setting
        if not wanted or (auto and wanted not in self.client.info().get("Runtimes", {})):
            return None
        try:
            self._remove(self._create(self.defaults, runtime=wanted))
        except docker.errors.APIError as exc:  # e.g. crun < 1.9 refuses hybrid cgroup hierarchies
            log = logger.warning if auto else logger.error
            log("the engine's %s runtime cannot start a sandbox, using its default: %s", wanted, exc)
            return None
        return wanted

    def _create(self, limits: Limits, *, runtime: str | None = None) -> Container:
        container = self.client.containers.create(
            self.image,
            runtime=runtime or self.runtime,
            command=["sleep", "infinity"],
            user=f"{RUNNER_UID}:{RUNNER_GID}",
            working_dir=WORK_DIR,
            hostname="sandbox",
            network_mode="none",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges", f"seccomp={self._profile}"],
            read_only=True,
            tmpfs=_tmpfs(limits),
            shm_size=limits.disk_bytes,
            mem_limit=limits.memory_bytes,
            memswap_limit=limits.memory_bytes,
            mem_swappiness=0,
            pids_limit=limits.processes,
            nano_cpus=1_000_000_000,
            init=True,
            ipc_mode="private",
            log_config=docker.types.LogConfig(type="none"),
            ulimits=[
                docker.types.Ulimit(name="nofile", soft=limits.open_files, hard=limits.open_files),
                docker.types.Ulimit(name="fsize", soft=limits.work_bytes, hard=limits.work_bytes),
                docker.types.Ulimit(name="core", soft=0, hard=0),
            ],
            labels={LABEL: "1", "duet.owner": self.owner, "duet.created": str(int(time.time()))},
            environment={},
        )
        try:
            container.start()
            container.reload()
        except BaseException:
            with contextlib.suppress(docker.errors.APIError):
                container.remove(force=True, v=True)
            raise
        self._cgroups[_id(container)] = _Cgroup(int(container.attrs["State"]["Pid"]))
        return container

    def _remove(self, container: Container) -> None:
        self._cgroups.pop(_id(container), None)
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            logger.warning("could not remove container %s: %s", container.short_id, exc)

    def _sweep(self) -> int:
        """Remove sandbox containers nobody will use: those of servers on this host that are gone,
        and any older than the longest a container may live (other hosts' servers included)."""
        removed = 0
        now = time.time()
        pooled = {c.id for c in self._pool}
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
            if orphan or now - created > MAX_CONTAINER_AGE:
                self._remove(container)
                removed += 1
        if removed:
            logger.info("janitor removed %d sandbox containers", removed)
        return removed

    async def _janitor(self) -> None:
        while True:
            await anyio.sleep(JANITOR_SECONDS)
            try:
                await anyio.to_thread.run_sync(self._sweep)
            except Exception:  # the engine answering badly once must not end the janitor
                logger.exception("the sandbox janitor failed; trying again later")

    async def _remove_used(self) -> None:
        """Used containers are removed off the request path (bounded: a backlog makes runs wait)."""
        async for container in self._used_receive:
            try:
                await anyio.to_thread.run_sync(self._remove, container)
            except Exception:  # a timeout or engine error: the janitor removes it later
                logger.exception("could not remove sandbox container %s", container.short_id)

    async def _refill(self) -> None:
        while True:
            while len(self._pool) < self.pool_size:
                try:
                    container = await anyio.to_thread.run_sync(self._create, self.defaults)
                except Exception:  # DockerException, or the HTTP client timing out under load
                    logger.exception("could not create a warm sandbox container")
                    await anyio.sleep(5)
                    continue
                self._pool.append(container)
            self._pool_changed = anyio.Event()
            await self._pool_changed.wait()

    async def _take(self, limits: Limits) -> Container:
        """A warm container when the run uses the pool's limits, else a fresh one."""
        if limits == self.defaults and self._pool:
            container = self._pool.pop(0)
            self._pool_changed.set()
            return container
        return await anyio.to_thread.run_sync(self._create, limits)

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
        stop = stop or anyio.Event()
        container = await self._take(spec.limits)
        try:
            files = _tar(spec.files)
            wall = cpu = 0
            result = RunResult(status="internal_error", message="no step to run")
            for index, step in enumerate(spec.steps):
                is_run = step.name == "run"
                argv = list(step.argv)
                stdin = spec.stdin if is_run else b""
                if index == 0:  # the first step unpacks the files, then becomes the program
                    argv = ["sh", "-c", _UNPACK_THEN_EXEC, str(len(files)), *argv]
                    stdin = files + stdin
                result = await self._step(
                    container,
                    Step(step.name, tuple(argv)),
                    spec,
                    on_output if is_run else None,
                    stdin,
                    stdin_stream if is_run else None,
                    stop,
                )
                result.step = step.name
                wall, cpu = wall + result.wall_ms, cpu + result.cpu_ms
                if result.status != "ok":
                    if step.name == "compile" and result.status == "runtime_error":
                        result.status = "compile_error"
                    break
            result.wall_ms, result.cpu_ms = wall, cpu
            usage = self._cgroups.get(_id(container))
            result.memory_bytes = usage.peak if usage is not None else 0
            if spec.collect and result.status not in {"time_limit", "memory_limit"}:
                archive = await self._exec_simple(container, ["tar", "-c", "-C", RESULTS_DIR, "."], b"")
                result.collected = _regular_files(archive)
            return result
        finally:
            with anyio.CancelScope(shield=True):
                await self._used_send.send(container)  # killed and removed off the request path

    @asynccontextmanager
    async def terminal(self, spec: RunSpec) -> AsyncIterator[Terminal]:
        check_files(spec.files, spec.limits)
        container = await self._take(spec.limits)
        api = self.client.api
        try:
            files = _tar(spec.files)
            await self._exec_simple(container, ["tar", "-x", "-C", WORK_DIR, "-f", "-"], files)
            argv = list(spec.steps[-1].argv)
            exec_id = await anyio.to_thread.run_sync(
                lambda: api.exec_create(
                    container.id,
                    argv,
                    stdin=True,
                    tty=True,
                    workdir=WORK_DIR,
                    environment={**spec.env, "TERM": "xterm-256color"},
                )["Id"]
            )
            sock = await anyio.to_thread.run_sync(lambda: api.exec_start(exec_id, socket=True, tty=True))
            raw = cast(socket.socket, getattr(sock, "_sock"))  # noqa: B009 (the hijacked connection)
            try:
                yield _DockerTerminal(api, exec_id, raw)
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(docker_streams.close, sock, raw)
        finally:
            with anyio.CancelScope(shield=True):
                await self._used_send.send(container)

    async def _exec_simple(self, container: Container, argv: list[str], stdin: bytes) -> bytes:
        """Run a helper command in the container; returns its stdout (bounded)."""
        out = CappedOutput("stdout", 64 * 1024 * 1024, None)
        err = CappedOutput("stderr", 64 * 1024, None)
        code = await self._exec(container, argv, {}, stdin, None, out, err, None)
        if code != 0:
            raise RuntimeError(f"{argv[0]} failed in the sandbox ({code}): {err.text()[:300]}")
        return b"".join(out._chunks)

    async def _step(
        self,
        container: Container,
        step: Step,
        spec: RunSpec,
        on_output: OutputSink | None,
        stdin: bytes,
        stdin_stream: ByteReceiveStream | None,
        stop_requested: anyio.Event,
    ) -> RunResult:
        limits = spec.limits.for_step(step.name)
        stdout = CappedOutput("stdout", limits.output_bytes, on_output)
        stderr = CappedOutput("stderr", limits.output_bytes, on_output)
        usage = self._cgroups[_id(container)]
        usage.set_limits(limits.memory_bytes, limits.processes)  # a few small cgroup files
        usage.sample()
        cpu_before = usage.cpu_ns
        reason: list[str] = []
        done = anyio.Event()
        code: list[int | None] = [None]
        started = time.monotonic()

        async def stop(why: str) -> None:
            if not reason:
                reason.append(why)
            await anyio.to_thread.run_sync(self._kill, container)  # ends the exec's streams

        async def execute() -> None:
            try:
                code[0] = await self._exec(
                    container, list(step.argv), dict(spec.env), stdin, stdin_stream, stdout, stderr, stop
                )
            finally:
                done.set()

        async def watch_stop() -> None:
            await stop_requested.wait()
            await stop("stopped")

        async def watch() -> None:
            limit_ns = int(limits.cpu_seconds * 1e9)
            while not done.is_set():
                await anyio.sleep(CPU_POLL_SECONDS)
                usage.sample()
                if usage.cpu_ns - cpu_before > limit_ns:
                    await stop("cpu")
                    return

        async with anyio.create_task_group() as tg:
            tg.start_soon(execute)
            tg.start_soon(watch)
            tg.start_soon(watch_stop)
            with anyio.move_on_after(limits.wall_seconds):
                await done.wait()
            if not done.is_set():
                await stop("wall")
                await done.wait()
            tg.cancel_scope.cancel()
        usage.sample()
        return _result(
            code[0],
            step,
            stdout,
            stderr,
            reason[0] if reason else None,
            usage.oom,
            limits,
            int((time.monotonic() - started) * 1000),
            (usage.cpu_ns - cpu_before) // 1_000_000,
        )

    async def _exec(
        self,
        container: Container,
        argv: list[str],
        env: Mapping[str, str],
        stdin: bytes,
        stdin_stream: ByteReceiveStream | None,
        stdout: CappedOutput,
        stderr: CappedOutput,
        stop: Any,
    ) -> int | None:
        """Run ``argv`` in the container with its streams bridged into the event loop."""
        api = self.client.api
        exec_id = await anyio.to_thread.run_sync(
            lambda: api.exec_create(container.id, argv, stdin=True, environment=dict(env), workdir=WORK_DIR)[
                "Id"
            ]
        )
        sock = await anyio.to_thread.run_sync(lambda: api.exec_start(exec_id, socket=True))
        raw = cast(socket.socket, getattr(sock, "_sock"))  # noqa: B009 (the hijacked connection)

        async def over_limit() -> None:
            await stop("output_limit")

        try:
            await docker_streams.bridge(
                raw, stdin, stdin_stream, stdout, stderr, over_limit if stop else None
            )
        finally:
            docker_streams.close(sock, raw)
        try:
            info = await anyio.to_thread.run_sync(api.exec_inspect, exec_id)
        except docker.errors.NotFound:
            return None  # the container was killed (a limit was hit): its exec is gone
        code = info.get("ExitCode")
        return int(code) if code is not None else None

    # ---- container state -------------------------------------------------------------------------

    def _kill(self, container: Container) -> None:
        try:
            container.kill()
        except docker.errors.APIError:
            return


class _DockerTerminal:
    """A tty exec: raw bytes both ways on the hijacked connection (no stream multiplexing)."""

    def __init__(self, api: Any, exec_id: str, raw: socket.socket) -> None:
        self._api = api
        self._exec_id = exec_id
        self._raw = raw

    async def read(self) -> bytes:
        try:
            return await anyio.to_thread.run_sync(self._raw.recv, 65536, abandon_on_cancel=True)
        except OSError:
            return b""

    async def write(self, data: bytes) -> None:
        try:
            await anyio.to_thread.run_sync(self._raw.sendall, data)
        except OSError:
            return

    async def resize(self, rows: int, cols: int) -> None:
        try:
            await anyio.to_thread.run_sync(
                lambda: self._api.exec_resize(self._exec_id, height=rows, width=cols)
            )
        except docker.errors.APIError:
            return


class _Cgroup:
    """A container's cgroup v1 files, found once from its init process."""

    def __init__(self, pid: int) -> None:
        self.dirs: dict[str, Path] = {}
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, names, path = line.split(":", 2)
            for name in names.split(","):
                self.dirs[name] = Path("/sys/fs/cgroup") / name / path.lstrip("/")
        self.cpu_ns = 0
        self.peak = 0
        self.oom = False

    def set_limits(self, memory_bytes: int, processes: int) -> None:
        """Change the memory (== memory + swap) and pids limits between steps."""
        memory = self.dirs["memory"]
        limit, memsw = memory / "memory.limit_in_bytes", memory / "memory.memsw.limit_in_bytes"
        if int(limit.read_text()) != memory_bytes:
            order = [(memsw, limit), (limit, memsw)][int(limit.read_text()) > memory_bytes]
            for path in order:  # memory+swap must never be below memory
                if path.exists():
                    path.write_text(str(memory_bytes))
        (self.dirs["pids"] / "pids.max").write_text(str(processes))

    def sample(self) -> None:
        """Read usage while the container lives (its cgroup goes away when it is killed)."""
        try:
            self.cpu_ns = int((self.dirs["cpuacct"] / "cpuacct.usage").read_text())
            self.peak = max(self.peak, int((self.dirs["memory"] / "memory.max_usage_in_bytes").read_text()))
            for line in (self.dirs["memory"] / "memory.oom_control").read_text().splitlines():
                if line.startswith("oom_kill ") and int(line.split()[1]) > 0:
                    self.oom = True
        except (OSError, KeyError, ValueError):
            return


def _id(container: Container) -> str:
    identifier = container.id
    assert identifier is not None
    return identifier


def _tar(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, content in files.items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.uid, info.gid = len(content), 0o644, RUNNER_UID, RUNNER_GID
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _regular_files(archive: bytes) -> dict[str, bytes]:
    """Regular files at the top of a tar stream; links, devices and directories are ignored."""
    found: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                if not member.isreg() or "/" in name or not name or member.size > MAX_COLLECTED_BYTES:
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    found[name] = handle.read(MAX_COLLECTED_BYTES)
                if len(found) >= MAX_COLLECTED_FILES:
                    break
    except tarfile.TarError:
        logger.warning("the results archive could not be read")
    return found


def _result(
    code: int | None,
    step: Step,
    stdout: CappedOutput,
    stderr: CappedOutput,
    stopped_for: str | None,
    oom: bool,
    limits: Limits,
    wall_ms: int,
    cpu_ms: int,
) -> RunResult:
    signal_number = code - 128 if code is not None and 128 < code <= 192 else None
    result = RunResult(
        status="ok",
        stdout=stdout.text(),
        stderr=stderr.text(),
        exit_code=None if signal_number else code,
        signal=signal_number,
        wall_ms=wall_ms,
        cpu_ms=cpu_ms,
        stdout_truncated=stdout.truncated,
        stderr_truncated=stderr.truncated,
        step=step.name,
    )
    if stopped_for == "output_limit":
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
    elif oom:
        result.status, result.message = (
            "memory_limit",
            f"used more than {limits.memory_bytes} bytes of memory",
        )
    elif code is None:
        result.status, result.message = "internal_error", "the sandbox lost the program"
    elif code != 0:
        result.status = "runtime_error"
    return result
