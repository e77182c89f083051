"""What every sandbox container really is, from Docker's own inspection and from the kernel, not
from the flags the engine passes: a flag the engine sets does not show it took (``--network none``
hides nothing if the engine never sent it), and a default Docker changes would not show at all.
Checked on the container of a running program and on the warm ones waiting beside it."""

from __future__ import annotations

import json
import secrets
import textwrap
from pathlib import Path
from typing import Any

import pytest

from server.exec.engines.docker.engine import DockerEngine
from server.exec.runtime import host_ids
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import Limits, RunSpec, seccomp
from server.exec.sandbox.cgroup import ContainerCgroup
from tests.support.host_processes import named, sandbox_init, status_field
from tests.support.paused_run import paused

pytestmark = [pytest.mark.anyio, pytest.mark.docker]

#: The running program's own limits, unlike the defaults the containers were created with: the
#: step's limits go into the container's cgroup directly
STEP = Limits(wall_seconds=60, memory_bytes=200 * 1024 * 1024, processes=40)


def check_container(attrs: dict[str, Any], engine: DockerEngine) -> None:
    """Everything the engine asks Docker for, as Docker recorded it."""
    host, config = attrs["HostConfig"], attrs["Config"]
    defaults = engine.defaults
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"], (host["CapDrop"], host["CapAdd"])
    assert host["Privileged"] is False and not host["Devices"] and not host["DeviceCgroupRules"]
    options = host["SecurityOpt"]
    profiles = [option.removeprefix("seccomp=") for option in options if option.startswith("seccomp=")]
    assert len(profiles) == 1 and json.loads(profiles[0]) == json.loads(seccomp.docker_profile())
    assert "no-new-privileges" in options and not [option for option in options if "unconfined" in option]
    # memory == memory + swap: no swapping around the limit
    assert host["Memory"] == host["MemorySwap"] == defaults.memory_bytes and host["MemorySwappiness"] == 0
    assert host["PidsLimit"] == defaults.processes and host["NanoCpus"] == 1_000_000_000
    namespaces = (host["IpcMode"], host["CgroupnsMode"], host["PidMode"], host["UTSMode"], host["UsernsMode"])
    assert namespaces == ("private", "private", "", "", ""), namespaces  # "": a namespace of its own
    user, _, group = config["User"].partition(":")
    assert (user, group) == (str(RUNNER_UID), str(RUNNER_GID)), config["User"]
    assert host_ids.host_conflict(int(user), int(group)) is None  # nobody's on this host, not root's
    assert not config["Env"] and host["LogConfig"]["Type"] == "none"
    assert host["Runtime"] == engine.oci_runtime
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    work = defaults.work_bytes
    assert ulimits == {"nofile": (defaults.open_files,) * 2, "fsize": (work, work), "core": (0, 0)}
    # only the run's own directories, from its workspace on the host; no socket, no host path
    assert not host["Binds"] and not host["VolumesFrom"] and set(host["Tmpfs"]) == {"/tmp"}
    mounts = {mount["Destination"]: mount for mount in attrs["Mounts"]}
    assert set(mounts) == {"/work", "/results", "/run/duet"}, mounts
    assert all(Path(mount["Source"]).is_relative_to(engine.work_base) for mount in mounts.values()), mounts
    assert [mounts[d]["RW"] for d in ("/work", "/results", "/run/duet")] == [True, True, False], mounts


async def test_every_container_is_created_locked_down(
    docker: DockerEngine, catalogue: LanguageCatalogue
) -> None:
    python = catalogue.get("python")
    name = f"inspect-{secrets.token_hex(3)}"
    code = f"""
        import ctypes
        ctypes.CDLL(None).prctl(15, b"{name}", 0, 0, 0)
        print("running", flush=True)
        input()
    """
    spec = RunSpec(
        files={"main.py": textwrap.dedent(code).encode()},
        steps=python.steps("run"),
        env=python.environment(),
        limits=STEP,
    )
    async with paused(docker, spec, ready="running"):
        (program,) = named(name)
        agent = sandbox_init(program.pid)
        listed = docker.client.containers.list(all=True, filters={"label": f"duet.owner={docker.owner}"})
        inspected = {int(container.attrs["State"]["Pid"]): container.attrs for container in listed}
        assert agent in inspected, "the running program is in none of the engine's containers"
        assert len(inspected) >= 2, "no warm container waits beside the running one"
        for attrs in inspected.values():
            check_container(attrs, docker)
        # and the kernel agrees: the agent and the program hold no privilege
        for pid in (agent, program.pid):
            assert status_field(pid, "Uid").split() == [str(RUNNER_UID)] * 4
            assert int(status_field(pid, "CapEff"), 16) == int(status_field(pid, "CapBnd"), 16) == 0
            assert (status_field(pid, "NoNewPrivs"), status_field(pid, "Seccomp")) == ("1", "2")
        # the step's limits are in the container's cgroup, whatever it was created with
        assert cgroup_limits(agent) == {
            "memory.limit_in_bytes": str(STEP.memory_bytes),
            "memory.memsw.limit_in_bytes": str(STEP.memory_bytes),
            "pids.max": str(STEP.processes),
        }


def cgroup_limits(pid: int) -> dict[str, str]:
    """The memory, memory + swap and pids limits of ``pid``'s container, from its cgroup files (a
    kernel that accounts no swap has no memory + swap file: memory alone is the cap then)."""
    cgroup = ContainerCgroup(pid)
    files = {
        "memory.limit_in_bytes": Path(cgroup.dirs["memory"]),
        "memory.memsw.limit_in_bytes": Path(cgroup.dirs["memory"]),
        "pids.max": Path(cgroup.dirs["pids"]),
    }
    limits = {
        name: (directory / name).read_text().strip()
        for name, directory in files.items()
        if (directory / name).exists()
    }
    limits.setdefault("memory.memsw.limit_in_bytes", limits["memory.limit_in_bytes"])
    return limits
