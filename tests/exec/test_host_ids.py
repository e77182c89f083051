"""The sandboxes' dedicated uid and gid: nobody's on the host, and what every engine runs code as."""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import textwrap
from pathlib import Path
from typing import cast

import anyio
import pytest
from anyio.abc import ByteReceiveStream

from server.exec.languages import LanguageRegistry
from server.exec.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import Limits, RunResult, RunSpec, Sandbox, Stream

UID, GID = RUNNER_UID, RUNNER_GID


# ---- the choice --------------------------------------------------------------------------------


def test_the_ids_lie_outside_every_range_a_host_allocates() -> None:
    for value in (UID, GID):
        assert value > 65535  # system users, people (login.defs), homed, DynamicUser, nobody, 16-bit -1
        assert not 61184 <= value <= 65519  # systemd DynamicUser=
        assert not 100000 <= value <= 600100000  # login.defs SUB_UID_MIN..SUB_UID_MAX (subuid, subgid)
        assert not 524288 <= value <= 1879048191  # systemd's container ranges
        assert not 200000 <= value <= 2000200000  # sssd's default id mapping
        assert not 2147352576 <= value <= 2147418111  # systemd's foreign-uid range
        assert value < 2**31  # signed 32-bit ids


def test_this_host_has_no_user_or_group_with_them() -> None:
    with pytest.raises(KeyError):
        pwd.getpwuid(UID)
    with pytest.raises(KeyError):
        grp.getgrgid(GID)
    assert str(UID) not in {line.split(":")[2] for line in Path("/etc/passwd").read_text().splitlines()}
    assert str(GID) not in {line.split(":")[2] for line in Path("/etc/group").read_text().splitlines()}


# ---- what every engine runs code as ------------------------------------------------------------


@pytest.mark.anyio
async def test_code_runs_as_the_dedicated_ids(sandbox: Sandbox, registry: LanguageRegistry) -> None:
    bash = registry.get("bash")
    script = "id -u; id -g; id -un; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status\n"
    spec = RunSpec(files={"main.sh": script.encode()}, steps=bash.steps("run"), env=bash.environment())
    result = await sandbox.run(spec)
    assert result.status == "ok", result
    lines = result.stdout.splitlines()
    assert lines[:4] == [str(UID), str(GID), "runner", str(GID)], result.stdout
    # real, effective, saved and file-system ids alike; no supplementary group but its own
    assert lines[4].split() == ["Uid:", *[str(UID)] * 4], result.stdout
    assert lines[5].split() == ["Gid:", *[str(GID)] * 4], result.stdout
    assert set(lines[6].split()[1:]) <= {str(GID)}, result.stdout


@pytest.mark.anyio
async def test_files_the_program_makes_in_work_belong_to_the_dedicated_ids(
    sandbox: Sandbox, registry: LanguageRegistry
) -> None:
    """Seen from the host, while the program still runs (the work dir goes with the run)."""
    name = f"made-{secrets.token_hex(4)}"
    code = f"""
        import os
        os.mkdir("{name}")
        with open("{name}/file", "w") as f:
            f.write("x")
        print("made", flush=True)
        input()  # until the host has looked
        """
    python = registry.get("python")
    spec = RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=Limits(wall_seconds=30),
    )
    work_base = cast(Path, getattr(sandbox, "work_base"))  # noqa: B009 (both engines have one)
    made = anyio.Event()
    seen: dict[str, tuple[int, int]] = {}
    results: list[RunResult] = []

    async def on_output(stream: Stream, chunk: bytes) -> None:
        if b"made" in chunk:
            made.set()

    send, receive = anyio.create_memory_object_stream[bytes](1)
    async with send, receive, anyio.create_task_group() as tg:

        async def run() -> None:
            stdin = cast(ByteReceiveStream, receive)
            results.append(await sandbox.run(spec, on_output=on_output, stdin_stream=stdin))

        tg.start_soon(run)
        with anyio.fail_after(30):
            await made.wait()
        (directory,) = work_base.glob(f"run-*/work/{name}")
        for path in (directory, directory / "file"):
            info = os.lstat(path)
            seen[path.name] = (info.st_uid, info.st_gid)
        await send.send(b"done\n")
    assert results[0].status == "ok", results[0]
    assert seen == {name: (UID, GID), "file": (UID, GID)}
