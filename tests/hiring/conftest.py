"""Fixtures: the language catalogue, the real runtime rootfs and a bubblewrap engine, and a Judge
on it (two runs at once: the CI machine has two cores)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import anyio
import pytest

from server.exec.dispatch.local_runner import LocalRunner
from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.engines.bwrap.engine import BwrapEngine
from server.exec.executor import Executor
from server.exec.runtime.languages import LanguageCatalogue, load_catalogue
from server.exec.runtime.rootfs import RuntimeRootfs, build_rootfs, default_cache_dir
from server.exec.sandbox import Limits
from server.hiring.judge import Judge
from tests.support.prerequisites import missing

JOBS = 2


@pytest.fixture(scope="session")
def catalogue() -> LanguageCatalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def runtime(catalogue: LanguageCatalogue) -> RuntimeRootfs:
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        missing("building the runtime rootfs needs root and debootstrap")
    if shutil.which("bwrap") is None:
        missing("bubblewrap is not installed")
    return build_rootfs(default_cache_dir(os.environ), catalogue=catalogue)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def judge(
    runtime: RuntimeRootfs, catalogue: LanguageCatalogue, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Judge]:
    reason = bwrap_engine.probe()
    if reason is not None:
        missing(reason)
    async with BwrapEngine(runtime.path, tmp_path_factory.mktemp("sandbox")).running() as engine:
        executor = Executor(
            catalogue, LocalRunner(engine, slots=JOBS), maxima=Limits(wall_seconds=60, cpu_seconds=60)
        )
        yield Judge(executor, anyio.CapacityLimiter(JOBS))
