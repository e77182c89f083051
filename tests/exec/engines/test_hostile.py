"""Hostile programs, through every engine: each gets its expected status, the host and concurrent
runs are unaffected, and the next run works.

Limits are generous wherever the limit is not what a test is about (a busy machine must not turn
an expected ``memory_limit`` into a ``time_limit``): a program that must be caught in a state
(holding memory, being a zombie, running while another attacks it) says so on its output and
waits for the host, which waits for that line with a generous deadline, never for a clock.
"""

from __future__ import annotations

import json
import secrets
import textwrap
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from anyio.abc import ByteReceiveStream

from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID, RuntimeRootfs
from server.exec.sandbox import Engine, Limits, RunResult, RunSpec
from tests.support import seccomp_answers
from tests.support.host_processes import (
    Held,
    named,
    namespaces_apart,
    sandbox_init,
    status_field,
    with_argument,
)
from tests.support.paused_run import paused
from tests.support.run_stdin import EndlessInput

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

MIB = 1024 * 1024
#: Tight where a test is about a limit (memory, processes, output, CPU); the wall time is generous.
TIGHT = Limits(wall_seconds=60, cpu_seconds=5, memory_bytes=128 * MIB, processes=32, output_bytes=64 * 1024)
#: What a compile step gets whatever the run asks (Limits.for_compile).
COMPILE = TIGHT.for_compile()
#: How far past its limit a run may end: a generous bound, not a measure of speed.
MARGIN_SECONDS = 30.0
#: Variables bash adds to the step's environment under bubblewrap (its trampoline execs the step).
SHELL_VARIABLES = {"PWD", "SHLVL", "_"}
REPOSITORY = Path(__file__).resolve().parents[3]


def python_spec(
    catalogue: LanguageCatalogue,
    code: str,
    *,
    limits: Limits = TIGHT,
    collect: bool = False,
    stdin: bytes = b"",
) -> RunSpec:
    python = catalogue.get("python")
    return RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=limits,
        stdin=stdin,
        collect=collect,
    )


async def run_python(
    engine: Engine,
    catalogue: LanguageCatalogue,
    code: str,
    *,
    limits: Limits = TIGHT,
    collect: bool = False,
    stdin: bytes = b"",
    stdin_stream: ByteReceiveStream | None = None,
) -> RunResult:
    spec = python_spec(catalogue, code, limits=limits, collect=collect, stdin=stdin)
    return await engine.run(spec, stdin_stream=stdin_stream)


@pytest.fixture(autouse=True)
async def next_run_works(engine: Engine, catalogue: LanguageCatalogue) -> AsyncIterator[None]:
    yield None
    result = await run_python(engine, catalogue, "print('still fine')")
    assert (result.status, result.stdout) == ("ok", "still fine\n"), result


def name_marker(prefix: str) -> str:
    """A process name of its own (``prctl(PR_SET_NAME)`` keeps 15 bytes)."""
    return f"{prefix}-{secrets.token_hex(4)}"[:15]


SET_NAME = "import ctypes; ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)"


# ---- processes ---------------------------------------------------------------------------------


async def test_fork_bomb(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import os
        while True:
            try:
                os.fork()
            except OSError:
                pass
    """,
    )
    assert result.status == "time_limit", result


async def test_thread_bomb_stops_at_the_process_limit(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import threading, time
        started = 0
        try:
            while True:
                threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                started += 1
        except RuntimeError:
            print(started, flush=True)
        import os
        os._exit(0)
    """,
    )
    assert result.status == "ok", result
    assert 0 < int(result.stdout) < TIGHT.processes


async def test_daemon_does_not_outlive_the_run(engine: Engine, catalogue: LanguageCatalogue) -> None:
    marker = f"daemon-{secrets.token_hex(8)}"
    code = f"""
        import subprocess
        subprocess.Popen(["python3", "-c", "import time; time.sleep(1000)", "{marker}"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("detached", flush=True)
        input()
    """
    async with paused(engine, python_spec(catalogue, code), ready="detached") as run:
        (pid,) = with_argument(marker)  # running on the host, in a session of its own
        daemon = Held([pid])
        init = Held([sandbox_init(pid)])
    with daemon, init:
        assert run.result is not None and run.result.status == "ok", run.result
        await init.exited()  # the sandbox's pid 1 has gone: so has everything in its pid namespace
        assert daemon.unreaped() == [], "the daemon outlived its run"


async def test_zombies_are_reaped(engine: Engine, catalogue: LanguageCatalogue) -> None:
    name = name_marker("zombie")
    code = f"""
        import os
        children = []
        for _ in range(10):
            pid = os.fork()
            if pid == 0:
                {SET_NAME.format(name=name)}
                os._exit(0)
            children.append(pid)
        for pid in children:  # each has exited; WNOWAIT leaves it unreaped: a zombie
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        print("zombies", len(children), flush=True)
        input()  # the parent leaves without ever reaping them
    """
    async with paused(engine, python_spec(catalogue, code), ready="zombies 10") as run:
        zombies = named(name)
        # the host sees them (a zombie has no command line: found by name), so this test can fail
        assert sorted(z.state for z in zombies) == ["Z"] * 10, zombies
        held = Held([z.pid for z in zombies])
        init = Held([sandbox_init(zombies[0].pid)])
        assert held.unreaped() == sorted(z.pid for z in zombies)
    with held, init:
        assert run.result is not None and run.result.status == "ok", run.result
        await init.exited()
        assert held.unreaped() == [], "zombies of the run are still on the host"
        assert named(name) == []


async def test_processes_of_other_runs_are_invisible_and_unkillable(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    victim_code = """
        print("ready", flush=True)
        input()
        print("survived")
    """
    async with paused(engine, python_spec(catalogue, victim_code), ready="ready") as victim:
        # the victim runs, in a sandbox of its own, while the killer tries every pid
        killer = await run_python(
            engine,
            catalogue,
            """
            import os, signal
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
            print(len(pids))
            for pid in range(1, 70000):
                if pid != os.getpid():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            print("done")
        """,
        )
    # the killer sees only its own process tree and cannot touch the victim's; its sandbox's pid 1
    # (bwrap's init, Docker's agent) ignores it: the kernel drops signals to a pid namespace's init
    # sent from inside unless init handles them, and neither does
    assert int(killer.stdout.split()[0]) <= 4, killer
    assert (killer.status, killer.stdout.split()[-1]) == ("ok", "done"), killer
    assert victim.result is not None
    assert (victim.result.status, victim.result.stdout) == ("ok", "ready\nsurvived\n"), victim.result


# ---- memory ------------------------------------------------------------------------------------


async def test_heap_bomb(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        chunks = []
        while True:
            chunks.append(bytearray(10 * 1024 * 1024))
    """,
    )
    assert result.status == "memory_limit", result


async def test_memory_split_across_children(engine: Engine, catalogue: LanguageCatalogue) -> None:
    # 8 children would hold 40 MiB each, each under the 128 MiB limit but 320 MiB together. Each
    # holds its block until every one has either allocated or been killed (its report pipe then
    # ends empty): no clock, so however slowly they start, they all want their memory at once
    result = await run_python(
        engine,
        catalogue,
        """
        import os
        release_read, release_write = os.pipe()
        reports = []
        for _ in range(8):
            report_read, report_write = os.pipe()
            if os.fork() == 0:
                os.close(release_write)
                os.close(report_read)
                block = b"x" * (40 * 1024 * 1024)  # every page written: charged to the group
                os.write(report_write, b"a")
                os.read(release_read, 1)  # holds the block until the parent lets go (end of file)
                os._exit(0)
            os.close(report_write)
            reports.append(report_read)
        allocated = sum(os.read(report, 1) == b"a" for report in reports)
        print("allocated", allocated, flush=True)
        os.close(release_write)
        for _ in reports:
            os.wait()
    """,
    )
    assert result.status == "memory_limit", result
    # the parent usually survives (the OOM killer takes a child holding 40 MiB) and says how many
    # held their block at some point: never all of them at once
    assert result.stdout == "" or int(result.stdout.split()[1]) < 8, result


async def test_memory_through_memfd_counts(engine: Engine, catalogue: LanguageCatalogue) -> None:
    # 48 MiB of memory, below the 80 MiB file-size limit that would otherwise refuse the writes first
    result = await run_python(
        engine,
        catalogue,
        """
        import os
        fd = os.memfd_create("hoard")
        while True:
            os.write(fd, b"x" * (4 * 1024 * 1024))
    """,
        limits=replace(TIGHT, memory_bytes=48 * MIB),
    )
    assert result.status == "memory_limit", result


async def test_dev_shm_is_small_and_private(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import errno
        written = 0
        try:
            with open("/dev/shm/hoard", "wb") as f:
                while True:
                    f.write(b"x" * 1024 * 1024); f.flush(); written += 1
        except OSError as e:
            print(errno.errorcode[e.errno], written)
    """,
    )
    assert result.status in {"ok", "memory_limit"}, result
    if result.status == "ok":
        code, megabytes = result.stdout.split()
        assert code in {"ENOSPC", "EFBIG"} and int(megabytes) <= 100


# ---- output and input --------------------------------------------------------------------------


async def test_stdout_flood(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "while True: print('y' * 100)")
    assert result.status == "output_limit", result
    assert result.stdout_truncated and result.stdout.endswith("[output truncated at 65536 bytes]\n")
    assert len(result.stdout.encode()) < 70_000


async def test_stderr_flood(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine, catalogue, "import sys\nwhile True: sys.stderr.write('e' * 100 + '\\n')"
    )
    assert result.status == "output_limit", result
    assert result.stderr_truncated and result.stderr.endswith("[output truncated at 65536 bytes]\n")
    assert len(result.stderr.encode()) < 70_000 and result.stdout == ""


async def test_one_huge_line_of_invalid_utf8(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import sys
        sys.stdout.buffer.write(b"\\xff\\xfe" * 10_000_000)
    """,
    )
    assert result.status == "output_limit", result
    assert "\ufffd" in result.stdout


HUGE_STDIN = b"z" * (64 * MIB)  # 64 times what the API accepts (1 MiB): the engine takes any size


async def test_huge_stdin_echoed_stops_at_the_output_cap(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    result = await run_python(
        engine,
        catalogue,
        "import shutil, sys\nshutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer)",
        stdin=HUGE_STDIN,
    )
    assert result.status == "output_limit", result
    assert result.stdout_truncated and len(result.stdout.encode()) < 70_000


async def test_huge_stdin_is_read_in_full(engine: Engine, catalogue: LanguageCatalogue) -> None:
    count = """
        import sys
        n = 0
        while chunk := sys.stdin.buffer.read1(1 << 16):
            n += len(chunk)
        print(n)
    """
    result = await run_python(engine, catalogue, count, stdin=HUGE_STDIN)
    assert (result.status, result.stdout) == ("ok", f"{len(HUGE_STDIN)}\n"), result


async def test_huge_stdin_left_unread(engine: Engine, catalogue: LanguageCatalogue) -> None:
    # the host's writer finds the pipe full, then broken: the run ends with the program
    result = await run_python(engine, catalogue, "print('not reading')", stdin=HUGE_STDIN)
    assert (result.status, result.stdout) == ("ok", "not reading\n"), result


async def test_endless_stdin_ends_with_the_program(engine: Engine, catalogue: LanguageCatalogue) -> None:
    endless = EndlessInput()
    result = await run_python(
        engine,
        catalogue,
        "import sys\nprint(len(sys.stdin.buffer.read(8 * 1024 * 1024)))",
        stdin_stream=endless,
    )
    assert (result.status, result.stdout) == ("ok", f"{8 * MIB}\n"), result
    assert endless.given >= 8 * MIB


async def test_endless_stdin_to_a_program_that_never_reads(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    # the host's writer waits on a full pipe; the wall limit still ends the run
    limits = replace(TIGHT, wall_seconds=4)
    result = await run_python(
        engine, catalogue, "import time\ntime.sleep(10**6)", stdin_stream=EndlessInput(), limits=limits
    )
    assert (result.status, result.message) == ("time_limit", "still running after 4 s: stopped"), result


# ---- file systems ------------------------------------------------------------------------------


async def test_disk_fill(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import errno
        try:
            with open("big", "wb") as f:
                while True:
                    f.write(b"x" * 1024 * 1024)
        except OSError as e:
            print(errno.errorcode[e.errno])
    """,
    )
    assert result.status == "ok", result
    assert result.stdout.strip() in {"ENOSPC", "EFBIG"}


async def test_inode_exhaustion(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import errno, os
        os.mkdir("many")
        n = 0
        try:
            while True:
                open(f"many/{n}", "w").close(); n += 1
        except OSError as e:
            print(errno.errorcode[e.errno], n)
    """,
    )
    assert result.status == "ok", result
    code, count = result.stdout.split()
    assert code == "ENOSPC" and int(count) < 10_000


async def test_no_files_survive_for_the_next_run(engine: Engine, catalogue: LanguageCatalogue) -> None:
    marker = secrets.token_hex(8)
    places = ["/work/left", "/tmp/left", "/dev/shm/left", "/work/.duet/left"]
    writer = await run_python(
        engine,
        catalogue,
        f"""
        import os
        os.makedirs("/work/.duet", exist_ok=True)
        for path in {places!r}:
            with open(path, "w") as f:
                f.write("{marker}")
        print("written")
    """,
    )
    assert writer.stdout == "written\n", writer
    reader = await run_python(
        engine,
        catalogue,
        f"""
        import os
        print([p for p in {places!r} if os.path.exists(p)])
    """,
    )
    assert reader.stdout == "[]\n", reader


async def test_the_root_file_system_is_read_only(engine: Engine, catalogue: LanguageCatalogue) -> None:
    # /run/lock and /var/tmp are world-writable in the rootfs: only the mount can refuse them
    read_only = ["/", "/usr", "/etc", "/bin", "/opt", "/var", "/var/tmp", "/run/lock", "/home"]
    writable = ["/work", "/tmp", "/dev/shm"]
    result = await run_python(
        engine,
        catalogue,
        f"""
        import errno, os
        def attempt(what, action):
            try:
                action()
                print(what, "written")
            except OSError as e:
                print(what, errno.errorcode[e.errno])
        for directory in {read_only + writable!r}:
            attempt(directory, lambda: open(os.path.join(directory, "planted"), "x").close())
            attempt(directory, lambda: os.mkdir(os.path.join(directory, "planted-dir")))
    """,
    )
    assert result.status == "ok", result
    expected = [f"{d} EROFS" for d in read_only for _ in range(2)] + [
        f"{d} written" for d in writable for _ in range(2)
    ]
    assert result.stdout.splitlines() == expected, result.stdout


async def test_links_in_results_reach_nothing_outside(
    engine: Engine, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host only")
    # a hard link is a regular file like any other, so the host would read it as a report: each one
    # that would name something outside /results fails. /results is a mount of its own (the run's
    # tmpfs, as /work is, through another mount): a link across mounts is EXDEV, and no host file
    # is on that tmpfs; the host's path does not even exist inside (ENOENT)
    outside = [
        "/etc/passwd",
        "/work/main.py",
        "/tmp/mine",
        "/dev/shm/mine",
        "/proc/self/environ",
        str(secret),
    ]
    result = await run_python(
        engine,
        catalogue,
        f"""
        import errno, os
        os.symlink("/etc/passwd", "/results/report.jsonl")
        os.symlink("/proc/self/environ", "/results/env")
        os.symlink({str(secret)!r}, "/results/host")
        os.mkfifo("/results/fifo")
        with open("/results/real", "w") as f:
            f.write("ok")
        os.link("/results/real", "/results/alias")  # inside /results: the same bytes, harmless
        for path in ["/tmp/mine", "/dev/shm/mine"]:
            open(path, "w").close()
        for n, target in enumerate({outside!r}):
            try:
                os.link(target, f"/results/hard-{{n}}")
                print(target, "LINKED")
            except OSError as e:
                print(target, errno.errorcode[e.errno])
    """,
        collect=True,
    )
    assert result.status == "ok", result
    expected = [f"{path} EXDEV" for path in outside[:-1]] + [f"{secret} ENOENT"]
    assert result.stdout.splitlines() == expected, result.stdout
    assert result.collected == {"alias": b"ok", "real": b"ok"}
    assert secret.read_text() == "host only"


# ---- the host and other runs -------------------------------------------------------------------


async def test_no_network_and_no_dns(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import socket
        for target in [("1.1.1.1", 53), ("127.0.0.1", 6379), ("169.254.169.254", 80), ("172.17.0.1", 2375)]:
            try:
                socket.create_connection(target, timeout=1)
                print("CONNECTED", target)
            except OSError as e:
                print("refused", e.errno)
        try:
            socket.getaddrinfo("example.com", 80)
            print("RESOLVED")
        except OSError:
            print("no dns")
    """,
    )
    assert result.status == "ok", result
    assert "CONNECTED" not in result.stdout and "RESOLVED" not in result.stdout
    assert result.stdout.count("refused") == 4 and "no dns" in result.stdout


def host_file(path: str) -> str | None:
    try:
        return Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return None


def unescape(field: str) -> str:
    """A path as /proc/self/mountinfo writes it (space, tab, newline and backslash in octal)."""
    return field.encode().decode("unicode_escape")


#: Where the sandboxes mount anything (under /proc, /dev and /sys too): bwrap's and Docker's own
MOUNT_POINTS = {"/", "/proc", "/dev", "/sys", "/tmp", "/work", "/results", "/run/duet"}
#: Docker's own files, bind-mounted read-only from its data directory
DOCKER_FILES = {"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"}


async def test_host_secrets_and_environment_stay_out(
    engine: Engine,
    catalogue: LanguageCatalogue,
    runtime: RuntimeRootfs,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = "canary-" + secrets.token_hex(16)
    monkeypatch.setenv("DUET_TEST_CANARY", canary)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(canary)
    paths = ["/proc/1/environ", "/proc/self/environ", "/proc/self/mountinfo", str(secret_file), "/etc/shadow"]
    paths += ["/root/.bash_history", "/root/.ssh/id_rsa", "/var/run/docker.sock", "/run/docker.sock"]
    result = await run_python(
        engine,
        catalogue,
        f"""
        import errno, glob, json, os
        def read(path):
            try:
                with open(path, "rb") as f:
                    return f.read(1 << 20).decode("utf-8", "replace")
            except OSError as e:
                return errno.errorcode[e.errno]
        print(json.dumps({{
            "env": dict(os.environ),
            "files": {{path: read(path) for path in {paths!r}}},
            "home": sorted(glob.glob("/home/*")),
            "root": sorted(glob.glob("/root/*")),
            "top": sorted(os.listdir("/")),
        }}))
    """,
        limits=replace(TIGHT, output_bytes=4 * MIB),
    )
    assert result.status == "ok", result
    assert canary not in result.stdout + result.stderr
    seen = json.loads(result.stdout)
    # exactly the language's environment: nothing of the server's (bash adds its own three)
    environment = {k: v for k, v in seen["env"].items() if k not in SHELL_VARIABLES}
    assert environment == catalogue.get("python").environment()
    files = seen["files"]
    assert files["/proc/1/environ"] == "EACCES"  # bwrap's init is root's, Docker's agent is not dumpable
    assert files[str(secret_file)] == "ENOENT"
    assert files["/var/run/docker.sock"] == files["/run/docker.sock"] == "ENOENT"
    assert files["/root/.bash_history"] in {"EACCES", "ENOENT"}
    assert files["/root/.ssh/id_rsa"] in {"EACCES", "ENOENT"}
    assert files["/etc/shadow"] in {"EACCES", "ENOENT"} or files["/etc/shadow"] != host_file("/etc/shadow")
    # the rootfs's own (empty) /home and /root, its top directories and the run's mount points
    assert seen["home"] == sorted(f"/home/{p.name}" for p in (runtime.path / "home").iterdir())
    assert seen["root"] == []
    top = {p.name for p in runtime.path.iterdir()} | {"work", "results", ".dockerenv"}
    assert set(seen["top"]) <= top, set(seen["top"]) - top
    # no mount shows the host's files: only the sandbox's own mount points, roots inside the
    # rootfs, the run's tmpfs or Docker's data directory (the rootfs's host directory is the one
    # host path a bwrap sandbox can read there, as the root of its / mount: the runtime cache)
    forbidden = [str(tmp_path_factory.getbasetemp()), str(REPOSITORY), "/home", "docker.sock", "/run/docker"]
    for line in files["/proc/self/mountinfo"].splitlines():
        fields = line.split(" ")
        root, point = unescape(fields[3]), unescape(fields[4])
        assert not [f for f in forbidden if f in line], line
        assert point in MOUNT_POINTS | DOCKER_FILES or point.startswith(("/proc/", "/dev/", "/sys/")), line
        assert not root.startswith("/root") or root == str(runtime.path), line
        assert point not in DOCKER_FILES or " ro," in f" {fields[5]},", line


async def test_the_program_runs_unprivileged_in_namespaces_of_its_own(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    name = name_marker("probe")
    code = f"""
        {SET_NAME.format(name=name)}
        print("named", flush=True)
        input()
    """
    async with paused(engine, python_spec(catalogue, code), ready="named"):
        (program,) = named(name)
        pid = program.pid
        # what the kernel says about it, read by the host: nothing inside can dress it up
        ids = {key: status_field(pid, key).split() for key in ("Uid", "Gid", "Groups")}
        capabilities = {
            key: int(status_field(pid, key), 16) for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
        }
        flags = {key: status_field(pid, key) for key in ("NoNewPrivs", "Seccomp")}
        namespaces = namespaces_apart(pid)
    assert ids["Uid"] == [str(RUNNER_UID)] * 4 and ids["Gid"] == [str(RUNNER_GID)] * 4, ids
    assert set(ids["Groups"]) <= {str(RUNNER_GID)}, ids  # Docker lists the primary group there
    assert capabilities == dict.fromkeys(capabilities, 0), capabilities
    # no-new-privileges, and a seccomp filter in place (what it refuses is tested with the policy)
    assert flags == {"NoNewPrivs": "1", "Seccomp": "2"}, flags
    # all the host's namespaces but the user one: the uid the host sees is the runner's, no host user's
    assert namespaces == {
        "mnt": True,
        "pid": True,
        "net": True,
        "ipc": True,
        "uts": True,
        "cgroup": True,
        "user": False,
    }


async def test_file_descriptor_exhaustion(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import errno
        files = []
        try:
            while True:
                files.append(open("/dev/null"))
        except OSError as e:
            print(errno.errorcode[e.errno], len(files))
    """,
    )
    assert result.status == "ok", result
    code, count = result.stdout.split()
    assert code == "EMFILE" and int(count) <= TIGHT.open_files


async def test_setuid_root_is_refused(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "import os\nos.setuid(0)")
    assert result.status == "runtime_error" and "PermissionError" in result.stderr, result


async def test_every_refused_system_call_is_refused(engine: Engine, catalogue: LanguageCatalogue) -> None:
    """Every call of the seccomp policy, clone with each namespace flag, clone3 and the i386 and
    x32 entry points, each in a process of its own (tests/support/syscall_probe.py): each answers
    the policy's errno or is killed by SIGSYS, under exactly one filter, and fork, threads and
    getpid still work. tests/exec/sandbox/test_seccomp.py shows that most of these calls answer
    otherwise without the filter, for the same uid."""
    python = catalogue.get("python")
    spec = RunSpec(
        files={"main.py": seccomp_answers.PROBE_SOURCE},
        steps=python.steps("run"),
        env=python.environment(),
        limits=replace(TIGHT, cpu_seconds=20),
    )
    result = await engine.run(spec)
    assert result.status == "ok", result
    assert json.loads(result.stdout) == seccomp_answers.under_the_policy()


# ---- time --------------------------------------------------------------------------------------


async def test_cpu_spin(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "while True: pass", limits=replace(TIGHT, cpu_seconds=2))
    assert (result.status, result.message) == ("time_limit", "used more than 2 s of CPU: stopped"), result
    assert 2000 <= result.cpu_ms < (2 + MARGIN_SECONDS) * 1000, result


async def test_sleep_forever(engine: Engine, catalogue: LanguageCatalogue) -> None:
    started = time.monotonic()
    result = await run_python(
        engine, catalogue, "import time; time.sleep(10**6)", limits=replace(TIGHT, wall_seconds=4)
    )
    took = time.monotonic() - started
    assert (result.status, result.message) == ("time_limit", "still running after 4 s: stopped"), result
    assert 4000 <= result.wall_ms < (4 + MARGIN_SECONDS) * 1000 and result.cpu_ms < 1000, result
    assert took < 4 + MARGIN_SECONDS, f"the run took {took:.1f} s to end after a 4 s wall limit"


# ---- compilers ---------------------------------------------------------------------------------


async def run_source(
    engine: Engine, catalogue: LanguageCatalogue, language_id: str, source: str
) -> RunResult:
    """A compiled language's run of ``source``; it must end (the compile step's own limits) well
    within the time they allow."""
    language = catalogue.get(language_id)
    spec = RunSpec(
        files={language.source_file: textwrap.dedent(source).encode()},
        steps=language.steps("run"),
        env=language.environment(),
        limits=TIGHT,
    )
    started = time.monotonic()
    result = await engine.run(spec)
    took = time.monotonic() - started
    assert took < COMPILE.wall_seconds + MARGIN_SECONDS, f"{took:.1f} s for a compile step: {result}"
    assert result.step == "compile", result
    return result


async def test_a_compiler_including_dev_zero(engine: Engine, catalogue: LanguageCatalogue) -> None:
    # cc1 reads a character device until its end: never; it grows until the compile step's memory
    result = await run_source(engine, catalogue, "c", '#include "/dev/zero"\nint main(void) { return 0; }\n')
    assert result.status in {"memory_limit", "compile_error"}, result


TEMPLATE_BOMB = """
    // each level instantiates the next with its parameter pack doubled: 2^N arguments
    template <int N, class... T> struct Bomb { using type = typename Bomb<N - 1, T..., T...>::type; };
    template <class... T> struct Bomb<0, T...> { using type = int; };
    int main() { return sizeof(Bomb<64, char>::type) == 0; }
"""


async def test_a_template_recursion_bomb(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_source(engine, catalogue, "cpp", TEMPLATE_BOMB)
    assert result.status in {"memory_limit", "time_limit"}, result


# ten levels of ten: 10^9 empty declarations, each a warning with its macro expansion notes
DIAGNOSTICS_FLOOD = "#define E0 int;\n" + "".join(f"#define E{n} {f'E{n - 1} ' * 10}\n" for n in range(1, 10))
DIAGNOSTICS_FLOOD += "E9\nint main(void) { return 0; }\n"


async def test_a_flood_of_compiler_diagnostics(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_source(engine, catalogue, "c", DIAGNOSTICS_FLOOD)
    assert result.status == "output_limit", result
    assert result.stderr_truncated and len(result.stderr.encode()) < 70_000, result
