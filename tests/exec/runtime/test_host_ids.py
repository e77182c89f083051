"""The sandboxes' dedicated uid and gid: nobody's on the host, what every engine runs code as, and
the start check that refuses ids a host user, group or subordinate range has."""

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

from server.exec.runtime import host_ids
from server.exec.runtime.host_ids import host_conflict, ids_in_use
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import Engine, Limits, RunResult, RunSpec, Stream
from tests.support.run_stdin import as_stdin

UID, GID = RUNNER_UID, RUNNER_GID


def files(tmp_path: Path, **contents: str) -> dict[str, Path]:
    """passwd, group, subuid and subgid files under ``tmp_path`` (absent unless given)."""
    paths = {name: tmp_path / name for name in ("passwd", "group", "subuid", "subgid")}
    for name, text in contents.items():
        paths[name].write_text(textwrap.dedent(text))
    return paths


HOST_LIKE = {
    "passwd": "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
    "group": "root:x:0:\nalice:x:1000:\n",
    "subuid": "alice:100000:65536\n",
    "subgid": "alice:100000:65536\n",
}


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


def test_this_host_has_no_user_group_or_range_with_them() -> None:
    assert ids_in_use(UID, GID) == []
    with pytest.raises(KeyError):
        pwd.getpwuid(UID)
    with pytest.raises(KeyError):
        grp.getgrgid(GID)
    assert str(UID) not in {line.split(":")[2] for line in Path("/etc/passwd").read_text().splitlines()}
    assert str(GID) not in {line.split(":")[2] for line in Path("/etc/group").read_text().splitlines()}
    assert host_conflict() is None


# ---- the start check ---------------------------------------------------------------------------


def test_a_host_like_ours_passes(tmp_path: Path) -> None:
    assert ids_in_use(UID, GID, **files(tmp_path, **HOST_LIKE)) == []


def test_missing_files_take_nothing(tmp_path: Path) -> None:
    assert ids_in_use(UID, GID, **files(tmp_path)) == []  # most hosts have no /etc/subuid


def test_a_passwd_user_with_the_uid_is_refused(tmp_path: Path) -> None:
    paths = files(tmp_path, **{**HOST_LIKE, "passwd": HOST_LIKE["passwd"] + f"bob:x:{UID}:1001::/:/bin/sh\n"})
    assert ids_in_use(UID, GID, **paths) == [f"{paths['passwd']}: user bob has uid {UID}"]


def test_a_user_whose_primary_group_is_the_gid_is_refused(tmp_path: Path) -> None:
    paths = files(tmp_path, **{**HOST_LIKE, "passwd": f"carol:x:1002:{GID}::/:/bin/sh\n"})
    assert ids_in_use(UID, GID, **paths) == [f"{paths['passwd']}: user carol has primary gid {GID}"]


def test_a_group_with_the_gid_is_refused(tmp_path: Path) -> None:
    paths = files(tmp_path, **{**HOST_LIKE, "group": HOST_LIKE["group"] + f"staff:x:{GID}:alice\n"})
    assert ids_in_use(UID, GID, **paths) == [f"{paths['group']}: group staff has gid {GID}"]


def test_a_subuid_range_holding_the_uid_is_refused(tmp_path: Path) -> None:
    start = UID - 10
    paths = files(tmp_path, **{**HOST_LIKE, "subuid": HOST_LIKE["subuid"] + f"podman:{start}:65536\n"})
    assert ids_in_use(UID, GID, **paths) == [
        f"{paths['subuid']}: podman's range {start}-{start + 65535} holds {UID}"
    ]


def test_a_subgid_range_holding_the_gid_is_refused(tmp_path: Path) -> None:
    paths = files(tmp_path, **{**HOST_LIKE, "subgid": f"1000:{GID}:1\n"})
    assert ids_in_use(UID, GID, **paths) == [f"{paths['subgid']}: 1000's range {GID}-{GID} holds {GID}"]


def test_ranges_end_where_they_say(tmp_path: Path) -> None:
    just_below = f"a:{UID - 65536}:65536\n"  # ends at UID - 1
    just_above = f"b:{UID + 1}:65536\n"
    paths = files(tmp_path, subuid=just_below + just_above, subgid=just_below + just_above)
    assert ids_in_use(UID, GID, **paths) == []


def test_comments_and_malformed_lines_take_nothing(tmp_path: Path) -> None:
    junk = f"# {UID}\n\n{UID}\nx:{UID}\nx:y:z\n"
    paths = files(tmp_path, passwd=junk, group=junk, subuid=junk, subgid=junk)
    assert ids_in_use(UID, GID, **paths) == []


def test_a_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    paths = files(tmp_path, **HOST_LIKE)
    paths["subuid"].unlink()
    paths["subuid"].mkdir()  # exists, and reading it fails
    (found,) = ids_in_use(UID, GID, **paths)
    assert found.startswith(f"{paths['subuid']} cannot be read")


def test_the_engines_reason_names_the_ids_and_what_holds_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = files(tmp_path, **{**HOST_LIKE, "subuid": f"dockremap:{UID - 5}:65536\n"})
    for name, path in paths.items():
        monkeypatch.setattr(host_ids, name.upper(), path)
    reason = host_conflict()
    assert reason is not None
    assert f"uid:gid {UID}:{GID} is in use on this host" in reason
    assert f"dockremap's range {UID - 5}-{UID - 5 + 65535} holds {UID}" in reason


# ---- what every engine runs code as ------------------------------------------------------------


@pytest.mark.anyio
async def test_code_runs_as_the_dedicated_ids(engine: Engine, catalogue: LanguageCatalogue) -> None:
    bash = catalogue.get("bash")
    script = "id -u; id -g; id -un; id -G; grep -E '^(Uid|Gid|Groups):' /proc/self/status\n"
    spec = RunSpec(files={"main.sh": script.encode()}, steps=bash.steps("run"), env=bash.environment())
    result = await engine.run(spec)
    assert result.status == "ok", result
    lines = result.stdout.splitlines()
    assert lines[:4] == [str(UID), str(GID), "runner", str(GID)], result.stdout
    # real, effective, saved and file-system ids alike; no supplementary group but its own
    assert lines[4].split() == ["Uid:", *[str(UID)] * 4], result.stdout
    assert lines[5].split() == ["Gid:", *[str(GID)] * 4], result.stdout
    assert set(lines[6].split()[1:]) <= {str(GID)}, result.stdout


@pytest.mark.anyio
async def test_files_the_program_makes_in_work_belong_to_the_dedicated_ids(
    engine: Engine, catalogue: LanguageCatalogue
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
    python = catalogue.get("python")
    spec = RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=Limits(wall_seconds=60),
    )
    work_base = cast(Path, getattr(engine, "work_base"))  # noqa: B009 (both engines have one)
    made = anyio.Event()
    seen: dict[str, tuple[int, int]] = {}
    results: list[RunResult] = []

    async def on_output(stream: Stream, chunk: bytes) -> None:
        if b"made" in chunk:
            made.set()

    send, receive = anyio.create_memory_object_stream[bytes](1)
    async with send, receive, anyio.create_task_group() as tg:

        async def run() -> None:
            results.append(await engine.run(spec, on_output=on_output, stdin_stream=as_stdin(receive)))

        tg.start_soon(run)
        with anyio.fail_after(60):
            await made.wait()
        (directory,) = work_base.glob(f"run-*/work/{name}")
        for path in (directory, directory / "file"):
            info = os.lstat(path)
            seen[path.name] = (info.st_uid, info.st_gid)
        await send.send(b"done\n")
    assert results[0].status == "ok", results[0]
    assert seen == {name: (UID, GID), "file": (UID, GID)}
