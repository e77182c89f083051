"""A running Docker engine over the real runtime rootfs, through a chosen OCI runtime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from server.exec.engines.docker import engine as docker_engine
from server.exec.engines.docker.engine import DockerEngine
from server.exec.runtime.rootfs import RuntimeRootfs
from tests.support.prerequisites import missing


@asynccontextmanager
async def running_docker_engine(
    runtime: RuntimeRootfs, work_base: Path, oci: str, *, pool_size: int = 2
) -> AsyncIterator[DockerEngine]:
    """A running Docker engine whose containers use the ``oci`` OCI runtime (a missing
    prerequisite without one)."""
    reason = await docker_engine.probe()
    if reason is not None:
        missing(reason)
    if oci not in await docker_engine.oci_runtimes():
        missing(f"the Docker engine has no {oci} runtime (scripts/docker-engine registers crun)")
    docker = DockerEngine(runtime, work_base, pool_size=pool_size, oci_runtime=oci)
    async with docker.running():
        assert docker.oci_runtime == oci, f"{oci} is registered but cannot start a sandbox (see the log)"
        yield docker
