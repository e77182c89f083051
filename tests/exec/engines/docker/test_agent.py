"""The Docker engine's agent (server/exec/engines/docker/agent/duet-agent.c and agent_channel.py): how
a container gets its steps, and what a program inside cannot do to that channel."""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import anyio
import pytest

from server.exec.engines.docker import agent_channel
from server.exec.engines.docker import engine as docker_engine
from server.exec.engines.docker.engine import LABEL, DockerEngine
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID, RuntimeRootfs
from server.exec.sandbox import Limits, RunResult, RunSpec, Step, Stream
from server.exec.sandbox.supervision import SandboxStartFailed
from tests.support.docker_engine import running_docker_engine
from tests.support.prerequisites import missing

pytestmark = pytest.mark.anyio

#: Generous: none of these tests is about the wall time, and the machine may be busy.
LIMITS = Limits(wall_seconds=60)
#: How long a test waits for something a container does (a generous deadline, not a measure).
DEADLINE = 60.0


def python_run(catalogue: LanguageCatalogue, code: str, *, collect: bool = False) -> RunSpec:
    python = catalogue.get("python")
    return RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=LIMITS,
        collect=collect,
    )


def containers_of(engine: DockerEngine) -> list[str]:
    listed = engine.client.containers.list(all=True, filters={"label": f"duet.owner={engine.owner}"})
    return [str(container.id) for container in listed]


def workspaces(base: Path) -> list[Path]:
    return sorted(base.glob("run-*"))


def mounts() -> str:
    return Path("/proc/mounts").read_text()


ROOT = Path(__file__).resolve().parents[4]


@contextmanager
def logged(logger_name: str, fragment: str) -> Iterator[anyio.Event]:
    """An event set when ``logger_name`` logs a record containing ``fragment``."""
    seen = anyio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if fragment in record.getMessage():
                seen.set()

    handler = Watch()
    target = logging.getLogger(logger_name)
    target.addHandler(handler)
    try:
        yield seen
    finally:
        target.removeHandler(handler)


# ---- the host's end of the channel, with real sockets --------------------------------------------


async def test_the_socket_takes_one_connection_from_the_expected_process(tmp_path: Path) -> None:
    listener = agent_channel.AgentListener(tmp_path, uid=os.getuid(), gid=os.getgid())
    path = tmp_path / agent_channel.SOCKET_NAME
    first = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    first.connect(str(path))
    connection = await agent_channel.accept_agent(listener, os.getpid(), seconds=5)
    try:
        assert not path.exists()
        second = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with pytest.raises(FileNotFoundError):
            second.connect(str(path))
        second.close()
        assert connection.idle()
        first.close()  # the agent gone: the connection ends without a status
        assert await connection.status() is None
    finally:
        connection.close()


async def test_the_socket_lives_in_a_directory_too_deep_for_a_socket_address(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    listener = agent_channel.AgentListener(deep, uid=os.getuid(), gid=os.getgid())
    assert len(str(listener.path)) > 108 and listener.path.exists()
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    directory_fd = os.open(deep, os.O_PATH)
    try:
        agent.connect(f"/proc/self/fd/{directory_fd}/{agent_channel.SOCKET_NAME}")
    finally:
        os.close(directory_fd)
    connection = await agent_channel.accept_agent(listener, os.getpid(), seconds=5)
    connection.close()
    agent.close()
    assert not listener.path.exists()


async def test_a_connection_from_another_process_is_refused(tmp_path: Path) -> None:
    listener = agent_channel.AgentListener(tmp_path, uid=os.getuid(), gid=os.getgid())
    impostor = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    impostor.connect(str(tmp_path / agent_channel.SOCKET_NAME))
    with pytest.raises(SandboxStartFailed, match="not the sandbox's"):
        await agent_channel.accept_agent(listener, os.getpid() + 1, seconds=5)  # not its pid
    assert not (tmp_path / agent_channel.SOCKET_NAME).exists()
    impostor.close()


async def test_an_agent_that_never_connects_is_given_up_on_time(tmp_path: Path) -> None:
    listener = agent_channel.AgentListener(tmp_path, uid=os.getuid(), gid=os.getgid())
    started = time.monotonic()
    with pytest.raises(SandboxStartFailed, match="did not connect within 0.2 s"):
        await agent_channel.accept_agent(listener, os.getpid(), seconds=0.2)
    assert time.monotonic() - started < DEADLINE  # not forever
    assert not (tmp_path / agent_channel.SOCKET_NAME).exists()


def test_a_step_message_cannot_smuggle_a_nul_or_a_bad_name() -> None:
    with pytest.raises(ValueError, match="NUL"):
        agent_channel.step_message(["python3", "a\0b"], {}, terminal=False)
    with pytest.raises(ValueError, match="name"):
        agent_channel.step_message(["true"], {"A=B": "c"}, terminal=False)
    with pytest.raises(ValueError, match="bytes"):
        agent_channel.step_message(["true"], {"BIG": "x" * agent_channel.MAX_MESSAGE}, terminal=False)


# ---- containers whose agent does not come ----------------------------------------------------------


@asynccontextmanager
async def agentless(runtime: RuntimeRootfs, work_base: Path, pool_size: int) -> AsyncIterator[DockerEngine]:
    """An engine whose containers start ``sleep`` instead of the agent: nothing ever connects."""
    if (reason := await docker_engine.probe()) is not None:
        missing(reason)
    engine = DockerEngine(
        runtime,
        work_base,
        pool_size=pool_size,
        oci_runtime="",  # the engine's default: no OCI runtime probe (it would fail the same way)
        agent_command=("sleep", "infinity"),
        agent_connect_seconds=1.0,
    )
    async with engine.running():
        yield engine


@pytest.mark.docker
async def test_a_container_whose_agent_never_connects_is_removed(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    async with agentless(runtime, tmp_path, pool_size=0) as engine:
        result = await engine.run(python_run(catalogue, "print('never')"))
        assert (result.status, result.message) == ("internal_error", "the sandbox could not start"), result
        assert "did not connect within 1 s" in result.stderr
        assert containers_of(engine) == []
        assert workspaces(tmp_path) == []


@pytest.mark.docker
async def test_the_pool_logs_a_container_whose_agent_never_connects(
    runtime: RuntimeRootfs, tmp_path: Path
) -> None:
    with logged("server.exec.engines.docker.engine", "could not make a warm sandbox") as seen:
        async with agentless(runtime, tmp_path, pool_size=1) as engine:
            with anyio.fail_after(DEADLINE):
                await seen.wait()
            assert containers_of(engine) == []  # removed before the failure was logged
            assert workspaces(tmp_path) == []


@pytest.mark.docker
async def test_a_deep_work_base_works(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    deep = tmp_path / ("v" * 50) / "var" / "sandbox"  # the socket's path is over 108 bytes
    async with running_docker_engine(runtime, deep, "crun", pool_size=0) as engine:
        result = await engine.run(python_run(catalogue, "print('deep')"))
        assert (result.status, result.stdout) == ("ok", "deep\n"), result


# ---- the channel from inside a container ---------------------------------------------------------


async def test_the_program_cannot_reach_the_agent(docker: DockerEngine, catalogue: LanguageCatalogue) -> None:
    result = await docker.run(
        python_run(
            catalogue,
            """
            import ctypes, errno, os, signal, socket
            def attempt(name, action):
                try:
                    action()
                    print(name, "ALLOWED")
                except OSError as e:
                    print(name, errno.errorcode[e.errno])
            print("control", os.listdir("/run/duet"))
            print("fds", sorted(os.listdir("/proc/self/fd")))
            def connect():
                socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).connect("/run/duet/agent.sock")
            attempt("connect", connect)
            attempt("plant", lambda: open("/run/duet/agent.sock", "w"))
            attempt("agent-fds", lambda: os.listdir("/proc/1/fd"))
            attempt("agent-fd3", lambda: open("/proc/1/fd/3", "rb"))
            attempt("agent-mem", lambda: open("/proc/1/mem", "rb"))
            libc = ctypes.CDLL(None, use_errno=True)
            def steal():  # pidfd_getfd(2): copy the agent's connection out of it
                if libc.syscall(438, os.pidfd_open(1), 3, 0) < 0:
                    raise OSError(ctypes.get_errno(), "pidfd_getfd")
            attempt("agent-getfd", steal)
            os.kill(1, signal.SIGKILL)  # dropped: the agent handles no signal
            os.kill(1, signal.SIGTERM)
            print("still here")
            """,
        )
    )
    assert result.status == "ok", result  # the agent survived to report the status
    lines = result.stdout.splitlines()
    assert lines[0] == "control []", result.stdout
    assert lines[1] == "fds ['0', '1', '2', '3']", result.stdout  # 3: the listing itself
    assert "ALLOWED" not in result.stdout, result.stdout
    assert "connect ENOENT" in lines
    assert "plant EROFS" in lines or "plant EACCES" in lines
    assert {"agent-fds EACCES", "agent-fd3 EACCES", "agent-mem EACCES", "agent-getfd EPERM"} <= set(lines), (
        result.stdout
    )
    assert lines[-1] == "still here"


async def test_files_written_by_the_host_are_what_the_program_sees(
    docker: DockerEngine, catalogue: LanguageCatalogue
) -> None:
    blob = bytes(range(256)) * 64
    spec = python_run(
        catalogue,
        """
        import hashlib, os
        for path in ["main.py", "data/blob.bin", "deep/a/b/c.txt"]:
            info, digest = os.stat(path), hashlib.sha256(open(path, "rb").read()).hexdigest()
            print(path, info.st_uid, info.st_gid, oct(info.st_mode & 0o777), digest)
        print("dirs", {d: os.stat(d).st_uid for d in ["/work", "data", "deep/a/b"]})
        """,
    )
    files = {**spec.files, "data/blob.bin": blob, "deep/a/b/c.txt": "ünïcode\n".encode()}
    result = await docker.run(RunSpec(files=files, steps=spec.steps, env=spec.env, limits=LIMITS))
    assert result.status == "ok", result
    for path, content in files.items():
        digest = hashlib.sha256(content).hexdigest()
        assert f"{path} {RUNNER_UID} {RUNNER_GID} 0o644 {digest}" in result.stdout, result.stdout
    owners = {"/work": RUNNER_UID, "data": RUNNER_UID, "deep/a/b": RUNNER_UID}
    assert f"dirs {owners}" in result.stdout


async def test_the_bind_mounted_work_dir_holds_no_device_and_no_privilege(
    docker: DockerEngine, catalogue: LanguageCatalogue
) -> None:
    # crun drops the workspace's nosuid,nodev on its bind mounts (runc keeps them): without
    # CAP_MKNOD no device node can be made, and no file there can belong to anyone but the runner uid
    result = await docker.run(
        python_run(
            catalogue,
            """
            import errno, os, stat
            try:
                os.mknod("/work/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
                print("mknod ALLOWED")
            except OSError as e:
                print("mknod", errno.errorcode[e.errno])
            for path in ["/work", "/results"]:
                try:
                    os.chown(path, 0, 0)
                    print("chown ALLOWED")
                except OSError as e:
                    print("chown", errno.errorcode[e.errno])
            """,
        )
    )
    assert (result.status, result.stdout) == ("ok", "mknod EPERM\nchown EPERM\nchown EPERM\n"), result


async def test_a_report_symlink_to_a_host_file_is_not_followed(
    docker: DockerEngine, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host only")
    result = await docker.run(
        python_run(
            catalogue,
            f"""
            import os
            os.symlink({str(secret)!r}, "/results/report.jsonl")
            os.symlink({str(tmp_path)!r}, "/results/dir")
            with open("/results/real", "w") as f:
                f.write("ok")
            """,
            collect=True,
        )
    )
    assert result.status == "ok", result
    assert result.collected == {"real": b"ok"}
    assert secret.read_text() == "host only"


async def test_nothing_of_a_step_outlives_it(docker: DockerEngine, catalogue: LanguageCatalogue) -> None:
    python = catalogue.get("python")
    daemon = "import subprocess; subprocess.Popen(['sleep', '1000'], start_new_session=True); print('left')"
    count = (
        "import os; print(sorted(open(f'/proc/{p}/comm').read().strip()"
        " for p in os.listdir('/proc') if p.isdigit()))"
    )
    spec = RunSpec(
        files={},
        steps=[Step("compile", ("python3", "-c", daemon)), Step("run", ("python3", "-c", count))],
        env=python.environment(),
        limits=LIMITS,
    )
    result = await docker.run(spec)
    assert result.status == "ok", result
    assert result.stdout == "['duet-agent', 'python3']\n", result.stdout  # no sleep from the first step


@pytest.mark.docker
async def test_a_container_killed_mid_step_loses_the_status(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    async with running_docker_engine(runtime, tmp_path, "crun", pool_size=1) as engine:
        started = anyio.Event()

        async def on_output(stream: Stream, chunk: bytes) -> None:
            if b"started" in chunk:
                started.set()

        results: list[RunResult] = []

        async def run() -> None:
            spec = python_run(catalogue, "import time; print('started', flush=True); time.sleep(60)")
            results.append(await engine.run(spec, on_output=on_output))

        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            with anyio.fail_after(DEADLINE):
                await started.wait()
            # from outside, as an operator or the OOM killer of the host would: every container
            for container in engine.client.containers.list(filters={"label": LABEL}):
                if container.labels.get("duet.owner") == engine.owner:
                    container.kill()
        result = results[0]
        assert (result.status, result.message) == (
            "internal_error",
            "the sandbox ended without the program's status",
        )
        assert result.stdout == "started\n"
        # the killed warm container is noticed and replaced
        again = await engine.run(python_run(catalogue, "print('fine')"))
        assert (again.status, again.stdout) == ("ok", "fine\n"), again


async def test_stop_ends_the_container_at_once(docker: DockerEngine, catalogue: LanguageCatalogue) -> None:
    started, stop = anyio.Event(), anyio.Event()

    async def on_output(stream: Stream, chunk: bytes) -> None:
        started.set()

    results: list[RunResult] = []

    async def run() -> None:
        code = "import os, time\nfor _ in range(5): os.fork()\nprint('forked', flush=True)\ntime.sleep(60)"
        spec = python_run(catalogue, code)
        results.append(await docker.run(spec, on_output=on_output, stop=stop))

    async with anyio.create_task_group() as tg:
        tg.start_soon(run)
        with anyio.fail_after(DEADLINE):
            await started.wait()
        stopped_at = time.monotonic()
        stop.set()
    # Stop, not the wall limit or the program's end (both 60 s away), ended it; how fast is the
    # benchmarks' business. Once run() returned, the agent and the forks were gone (it waits for that)
    assert time.monotonic() - stopped_at < LIMITS.wall_seconds / 2
    result = results[0]
    assert (result.status, result.stopped) == ("runtime_error", True), result


CRASHING_SERVER = """
import os, sys
from pathlib import Path
import anyio
from server.exec.engines.docker.engine import DockerEngine
from server.exec.runtime.languages import load_catalogue
from server.exec.runtime.rootfs import default_cache_dir, find_rootfs
from server.exec.sandbox import RunSpec

async def main() -> None:
    python = load_catalogue().get("python")
    spec = RunSpec(files={}, steps=python.steps("run"), env=python.environment())
    rootfs = find_rootfs(default_cache_dir(os.environ))
    engine = DockerEngine(rootfs, Path(sys.argv[1]), pool_size=1, oci_runtime="")
    async with engine.running(), engine.terminal(spec):
        print(engine.owner, flush=True)
        await anyio.sleep_forever()

anyio.run(main)
"""


@pytest.mark.docker
async def test_what_a_crashed_server_leaves_is_swept_at_start(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    if (reason := await docker_engine.probe()) is not None:
        missing(reason)
    crashing = await anyio.open_process(
        [sys.executable, "-c", CRASHING_SERVER, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    async with crashing:
        assert crashing.stdout is not None
        with anyio.fail_after(DEADLINE):
            owner = (await crashing.stdout.receive()).decode().strip()
        crashing.kill()  # no cleanup at all: its containers and mounted workspaces stay
        await crashing.wait()
    assert [w for w in workspaces(tmp_path) if f"-{crashing.pid}-" in w.name]
    engine = DockerEngine(runtime, tmp_path, pool_size=0, oci_runtime="")
    async with engine.running():
        left = engine.client.containers.list(all=True, filters={"label": f"duet.owner={owner}"})
        assert left == []
        assert [w for w in workspaces(tmp_path) if f"-{crashing.pid}-" in w.name] == []
        assert str(tmp_path) not in mounts()
        result = await engine.run(python_run(catalogue, "print('after the crash')"))
        assert (result.status, result.stdout) == ("ok", "after the crash\n"), result
