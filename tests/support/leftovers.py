"""What runs can leave on the host, listed: sandbox containers, run cgroups, bwrap and sandboxed
processes, workspaces and their mounts.

The exec suite lists them once its engines have closed (``tests/exec/conftest.py``) and fails
naming each. Only what this test session made counts, since other sessions may run on the same
machine at once: containers whose owner is this process or whose mounts come from under the
session's temporary directory (where every engine of the suite, and every server process a test
starts, keeps its workspaces), run cgroups named with this process's pid, bwrap processes
descended from this process or naming that directory, processes of the runner uid descended from
this process or in one of its run cgroups, and workspace directories and mounts under that
directory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import docker.errors

import docker
from server.errors import Unavailable
from server.exec.engines.docker.engine import LABEL
from server.exec.runtime.rootfs import RUNNER_UID
from server.exec.sandbox import cgroup
from tests.support.host_processes import HostProcess, all_processes

#: ``Workspace.root``'s name: run-<owner's pid>-<id>
WORKSPACE = re.compile(r"run-\d+-[0-9a-f]+")


def leftovers(base: Path) -> list[str]:
    """One line for each thing of a run still on the host (``base``: the session's temporary
    directory)."""
    return [*containers(base), *run_cgroups(), *processes(base), *workspaces(base), *mounts(base)]


def containers(base: Path) -> list[str]:
    try:
        client = docker.from_env(timeout=30)
    except docker.errors.DockerException:
        return []  # no Docker engine here: no container either
    try:
        listed = client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True)
    except docker.errors.DockerException:
        return []
    finally:
        client.close()
    found = []
    for container in listed:
        owner = container.labels.get("duet.owner", "")
        sources = [Path(mount.get("Source", "")) for mount in container.attrs.get("Mounts") or []]
        if owner.split(":")[1:2] == [str(os.getpid())] or any(s.is_relative_to(base) for s in sources):
            found.append(f"container {container.short_id} ({container.status}, owner {owner})")
    return found


def run_cgroups() -> list[str]:
    found = []
    for controller in cgroup.CONTROLLERS:
        try:
            parent = cgroup.ROOT / controller / cgroup.own_path(controller).lstrip("/")
        except Unavailable:
            continue
        found += [f"cgroup {group}" for group in sorted(parent.glob(f"duet-run-{os.getpid()}-*"))]
    return found


def processes(base: Path) -> list[str]:
    me = os.getpid()
    every = all_processes()
    parents = {process.pid: process.ppid for process in every}

    def descends(pid: int) -> bool:
        for _ in range(256):  # a cycle cannot happen, but a pid reused between reads could
            pid = parents.get(pid, 0)
            if pid == me:
                return True
            if pid <= 1:
                return False
        return False

    found = []
    for process in every:
        if process.pid == me:
            continue
        if _is_bwrap(process) and (
            descends(process.pid) or str(base).encode() in _read(process.pid, "cmdline")
        ):
            found.append(f"bwrap process {process.pid} ({_command(process)})")
        elif _uid(process.pid) == RUNNER_UID and (
            descends(process.pid) or f"/duet-run-{me}-".encode() in _read(process.pid, "cgroup")
        ):
            found.append(f"sandboxed process {process.pid} ({_command(process)}, state {process.state})")
    return found


def workspaces(base: Path) -> list[str]:
    found = []
    for directory, subdirectories, _ in os.walk(base):
        for name in list(subdirectories):
            if WORKSPACE.fullmatch(name):
                found.append(f"workspace {Path(directory) / name}")
                subdirectories.remove(name)  # what is inside is the run's
    return found


def mounts(base: Path) -> list[str]:
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split(" ")[4].encode().decode("unicode_escape")
        if Path(point).is_relative_to(base):
            found.append(f"mount {point}")
    return found


def _read(pid: int, name: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def _uid(pid: int) -> int | None:
    for line in _read(pid, "status").decode(errors="replace").splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


def _is_bwrap(process: HostProcess) -> bool:
    argv0 = _read(process.pid, "cmdline").split(b"\0")[0]
    return process.name == "bwrap" or Path(os.fsdecode(argv0)).name == "bwrap"


def _command(process: HostProcess) -> str:
    argv = _read(process.pid, "cmdline").replace(b"\0", b" ").strip()
    return argv.decode(errors="replace")[:200] or process.name
