"""The suite's own check that runs leave nothing on the host (tests/support/leftovers.py, run by
tests/exec/conftest.py after the session) finds each kind of leftover: planted here, named, then
removed, so the check at the end does not see them."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from server.exec.engines.docker.engine import LABEL, DockerEngine
from server.exec.runtime.rootfs import RUNNER_GID, RUNNER_UID
from server.exec.sandbox import cgroup
from server.exec.sandbox.cgroup import RunCgroup
from server.exec.sandbox.workspace import Workspace
from tests.support.leftovers import leftovers
from tests.support.prerequisites import missing


@pytest.fixture
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.geteuid() != 0:
        missing("planting a run's leftovers needs root (mounts, cgroups, another uid)")
    return tmp_path_factory.getbasetemp()


def named(base: Path, fragment: str) -> list[str]:
    return [line for line in leftovers(base) if fragment in line]


@contextmanager
def child(
    argv: list[str], *, user: int | None = None, group: int | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, user=user, group=group)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_workspace_and_its_mount_are_named(base: Path, tmp_path: Path) -> None:
    with Workspace(tmp_path, size=1024 * 1024, uid=RUNNER_UID, gid=RUNNER_GID) as ws:
        assert named(base, f"workspace {ws.root}") and named(base, f"mount {ws.root}")
    assert named(base, str(ws.root)) == []


def test_a_run_cgroup_is_named(base: Path) -> None:
    if (reason := cgroup.available()) is not None:
        missing(reason)
    group = RunCgroup()
    group.create()
    try:
        name = Path(group.dirs["memory"]).name
        assert named(base, name)
    finally:
        group.remove()
    assert named(base, name) == []


def test_a_sandboxed_process_and_a_bwrap_are_named(base: Path) -> None:
    with child(["sleep", "600"], user=RUNNER_UID, group=RUNNER_GID) as sandboxed:
        assert named(base, f"sandboxed process {sandboxed.pid} ")
    with child(["bash", "-c", "exec -a bwrap sleep 600"]) as bwrap:
        assert named(base, f"bwrap process {bwrap.pid} ")
    assert named(base, f"process {sandboxed.pid} ") == named(base, f"process {bwrap.pid} ") == []


@pytest.mark.anyio
async def test_a_container_is_named(base: Path, docker: DockerEngine) -> None:
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    # labelled as the engine labels its own (a fresh `duet.created`): without it, any Docker
    # engine's janitor on this host, another test session's included, reaps it as too old
    labels = {LABEL: "1", "duet.owner": owner, "duet.created": str(int(time.time()))}
    container = docker.client.containers.create(docker.image, command=["true"], labels=labels)
    try:
        assert named(base, f"container {container.short_id}")
    finally:
        container.remove(force=True)
    assert named(base, f"container {container.short_id}") == []
