"""Hostile programs, through every engine: each gets its expected status, the host and concurrent
runs are unaffected, and the next run works."""

from __future__ import annotations

import json
import os
import secrets
import textwrap
from dataclasses import replace
from pathlib import Path

import anyio
import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine, Limits, RunResult, RunSpec
from tests.support import seccomp_answers

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TIGHT = Limits(
    wall_seconds=4, cpu_seconds=2, memory_bytes=128 * 1024 * 1024, processes=32, output_bytes=64 * 1024
)


async def run_python(
    engine: Engine, catalogue: LanguageCatalogue, code: str, *, limits: Limits = TIGHT, collect: bool = False
) -> RunResult:
    python = catalogue.get("python")
    spec = RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=limits,
        collect=collect,
    )
    return await engine.run(spec)


@pytest.fixture(autouse=True)
async def next_run_works(engine: Engine, catalogue: LanguageCatalogue) -> object:
    yield None
    result = await run_python(engine, catalogue, "print('still fine')")
    assert (result.status, result.stdout) == ("ok", "still fine\n"), result


def host_processes_matching(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def gone_from_host(marker: str) -> None:
    """Wait (with a deadline) until no host process carries ``marker``: pidfds signal exits."""
    with anyio.fail_after(20):
        for pid in host_processes_matching(marker):
            try:
                fd = os.pidfd_open(pid)
            except ProcessLookupError:
                continue
            try:
                await anyio.wait_readable(fd)
            finally:
                os.close(fd)
    assert host_processes_matching(marker) == []


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
    result = await run_python(
        engine,
        catalogue,
        """
        import os, time
        for _ in range(8):
            if os.fork() == 0:
                block = bytearray(40 * 1024 * 1024)  # 8 x 40 MiB, each under the 128 MiB limit
                time.sleep(3)
                os._exit(0)
        for _ in range(8):
            os.wait()
    """,
    )
    assert result.status == "memory_limit", result


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
        limits=replace(TIGHT, memory_bytes=48 * 1024 * 1024),
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


async def test_stdout_flood(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "while True: print('y' * 100)")
    assert result.status == "output_limit", result
    assert result.stdout_truncated and result.stdout.endswith("[output truncated at 65536 bytes]\n")
    assert len(result.stdout.encode()) < 70_000


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


async def test_cpu_spin(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "while True: pass")
    assert result.status == "time_limit", result
    assert 1900 <= result.cpu_ms <= 3500


async def test_sleep_forever(engine: Engine, catalogue: LanguageCatalogue) -> None:
    result = await run_python(engine, catalogue, "import time; time.sleep(10**6)")
    assert result.status == "time_limit", result
    assert result.wall_ms >= 3900 and result.cpu_ms < 1000


async def test_daemon_does_not_outlive_the_run(engine: Engine, catalogue: LanguageCatalogue) -> None:
    marker = str(4000 + secrets.randbelow(999))
    result = await run_python(
        engine,
        catalogue,
        f"""
        import subprocess
        subprocess.Popen(["sleep", "{marker}.5"], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print("detached")
    """,
    )
    assert (result.status, result.stdout) == ("ok", "detached\n"), result
    await gone_from_host(f"{marker}.5")


async def test_zombies_are_reaped(engine: Engine, catalogue: LanguageCatalogue) -> None:
    marker = str(5000 + secrets.randbelow(999))
    result = await run_python(
        engine,
        catalogue,
        f"""
        import os, subprocess
        for _ in range(10):
            subprocess.Popen(["sleep", "0.0{marker}"])  # never waited for
        print("left them")
    """,
    )
    assert result.status == "ok", result
    await gone_from_host(f"0.0{marker}")


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


async def test_host_secrets_and_environment_stay_out(
    engine: Engine, catalogue: LanguageCatalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "canary-" + secrets.token_hex(16)
    monkeypatch.setenv("DUET_TEST_CANARY", canary)
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(canary)
    result = await run_python(
        engine,
        catalogue,
        f"""
        import os, glob
        print(dict(os.environ))
        for path in ["/proc/1/environ", "/proc/self/environ", "/proc/self/mountinfo", {str(secret_file)!r},
                     "/etc/shadow", "/root/.bash_history"]:
            try:
                print(path, open(path, "rb").read()[:4000])
            except OSError as e:
                print(path, "denied", e.errno)
        print(glob.glob("/home/*") + glob.glob("/root/*") + glob.glob("/work/../*"))
    """,
        limits=Limits(output_bytes=1024 * 1024),
    )
    assert result.status == "ok", result
    assert canary not in result.stdout + result.stderr
    assert "DUET_" not in result.stdout


async def test_processes_of_other_runs_are_invisible_and_unkillable(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    victim_result: list[RunResult] = []

    async def victim() -> None:
        victim_result.append(
            await run_python(
                engine,
                catalogue,
                """
            import time
            time.sleep(2.5)
            print("survived")
        """,
            )
        )

    async with anyio.create_task_group() as tg:
        tg.start_soon(victim)
        await anyio.sleep(0.5)  # the victim is running (its own sandbox needs a moment to start)
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
    assert victim_result[0].stdout == "survived\n", victim_result


async def test_symlink_traps_in_results_are_not_followed(
    engine: Engine, catalogue: LanguageCatalogue, tmp_path: Path
) -> None:
    result = await run_python(
        engine,
        catalogue,
        """
        import os
        os.symlink("/etc/passwd", "/results/report.jsonl")
        os.symlink("/proc/self/environ", "/results/env")
        os.link("/work/main.py", "/results/hard") if False else None
        os.mkfifo("/results/fifo")
        with open("/results/real", "w") as f:
            f.write("ok")
        print("planted")
    """,
        collect=True,
    )
    assert result.status == "ok", result
    assert result.collected == {"real": b"ok"}


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
        limits=replace(TIGHT, wall_seconds=30, cpu_seconds=20),
    )
    result = await engine.run(spec)
    assert result.status == "ok", result
    assert json.loads(result.stdout) == seccomp_answers.under_the_policy()
