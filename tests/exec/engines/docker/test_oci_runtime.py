"""The Docker engine's OCI runtime choice (server/exec/engines/docker/engine.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.exec.engines.docker import engine as docker_engine
from server.exec.runtime.languages import load_catalogue
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import RunSpec
from tests.support.prerequisites import missing

pytestmark = [pytest.mark.anyio, pytest.mark.docker]


def hello() -> RunSpec:
    python = load_catalogue().get("python")
    return RunSpec(files={"main.py": b"print('hi')\n"}, steps=python.steps("run"), env=python.environment())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_auto_takes_crun_when_the_engine_has_it(runtime: RuntimeRootfs, tmp_path: Path) -> None:
    if (reason := await docker_engine.probe()) is not None:
        missing(reason)
    if "crun" not in await docker_engine.oci_runtimes():
        missing("the Docker engine has no crun runtime (scripts/docker-engine registers crun)")
    async with docker_engine.DockerEngine(runtime, tmp_path, pool_size=1).running() as engine:
        assert engine.oci_runtime == "crun"
        assert engine.oci_runtime_name == "crun"
    async with docker_engine.DockerEngine(runtime, tmp_path, pool_size=1, oci_runtime="").running() as engine:
        assert engine.oci_runtime is None
        assert engine.oci_runtime_name == "the engine's default"


async def test_an_oci_runtime_that_cannot_start_a_sandbox_falls_back_to_the_default(
    runtime: RuntimeRootfs, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if (reason := await docker_engine.probe()) is not None:
        missing(reason)
    async with docker_engine.DockerEngine(
        runtime, tmp_path, pool_size=1, oci_runtime="no-such-runtime"
    ).running() as engine:
        assert engine.oci_runtime is None
        result = await engine.run(hello())
        assert (result.status, result.stdout) == ("ok", "hi\n"), result
    assert any("no-such-runtime OCI runtime cannot start" in r.getMessage() for r in caplog.records)
