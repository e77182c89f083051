"""Fixtures: the language catalogue, the real runtime rootfs and a bubblewrap engine, and a Judge
on it (two runs at once: the CI machine has two cores)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest

from server.exec.dispatch.local_runner import LocalRunner
from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.engines.bwrap.engine import BwrapEngine
from server.exec.executor import Executor
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.runtime.rootfs import RuntimeRootfs
from server.exec.sandbox import Limits
from server.hiring.judge import Judge
from tests.support.prerequisites import missing

JOBS = 2


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
