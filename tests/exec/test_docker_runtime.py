"""The Docker engine's OCI runtime choice (server/exec/docker_sandbox.py)."""

from __future__ import annotations

import pytest

from server.exec import docker_sandbox
from server.exec.rootfs import RuntimeRootfs
from tests.prerequisites import missing

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_auto_takes_crun_when_the_engine_has_it(runtime: RuntimeRootfs) -> None:
    if (reason := await docker_sandbox.probe()) is not None:
        missing(reason)
    if "crun" not in await docker_sandbox.runtimes():
        missing("the Docker engine has no crun runtime (scripts/docker-engine registers crun)")
    async with docker_sandbox.DockerSandbox(runtime, pool_size=1).running() as engine:
        assert engine.runtime == "crun"
        assert engine.runtime_name == "crun"
    async with docker_sandbox.DockerSandbox(runtime, pool_size=1, runtime="").running() as engine:
        assert engine.runtime is None
        assert engine.runtime_name == "the engine's default"
