"""Fixtures: the language catalogue, the real runtime rootfs (built once, cached), the engines,
and the check that nothing of a run is left on the host once the session is over."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.engines.bwrap.engine import BwrapEngine
from server.exec.engines.docker.engine import DockerEngine
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import Engine
from tests.support.docker_engine import running_docker_engine
from tests.support.leftovers import leftovers
from tests.support.prerequisites import missing


@pytest.fixture(scope="session", autouse=True)
def nothing_of_a_run_is_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the last test of the session, every engine closed: no container, run cgroup,
    process, workspace or mount of a run may be left on the host (``tests/support/leftovers.py``
    says what counts). Fails naming each (an error in the last test's teardown)."""
    yield
    left = leftovers(tmp_path_factory.getbasetemp())
    if left:
        pytest.fail("runs left these on the host:\n" + "\n".join(left), pytrace=False)


@pytest.fixture(scope="session")
def rootfs_path(runtime: RuntimeRootfs) -> Path:
    return runtime.path


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module scope, so one engine (and its warm pool) serves a whole test module."""
    return "asyncio"


@pytest.fixture(
    scope="module",
    params=[
        "bwrap",
        pytest.param("docker", marks=pytest.mark.docker),
        pytest.param("docker-runc", marks=pytest.mark.docker),
    ],
)
async def engine(
    request: pytest.FixtureRequest, runtime: RuntimeRootfs, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Engine]:
    """Each engine in turn: bubblewrap, then Docker with crun (what `make test` sets up), then
    Docker with runc (every engine's default)."""
    if request.param == "bwrap":
        reason = bwrap_engine.probe()
        if reason is not None:
            missing(reason)
        # with its warm pool, as `duet serve` runs it
        async with BwrapEngine(runtime.path, tmp_path_factory.mktemp("sandbox")).running() as bwrap:
            yield bwrap
        return
    oci = "runc" if request.param == "docker-runc" else "crun"
    async with running_docker_engine(runtime, tmp_path_factory.mktemp("sandbox"), oci) as docker:
        yield docker


@pytest.fixture(
    scope="module",
    params=[pytest.param("crun", marks=pytest.mark.docker), pytest.param("runc", marks=pytest.mark.docker)],
)
async def docker(
    request: pytest.FixtureRequest, runtime: RuntimeRootfs, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[DockerEngine]:
    """The Docker engine alone, through crun and then runc (for what only it has)."""
    async with running_docker_engine(runtime, tmp_path_factory.mktemp("sandbox"), request.param) as docker:
        yield docker
