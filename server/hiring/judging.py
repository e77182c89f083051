"""A Judge on this host's own sandbox engine (``DUET_SANDBOX``), for the command line."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from server.errors import Unavailable
from server.exec.dispatch.local_runner import LocalRunner
from server.exec.engines.auto import open_engine
from server.exec.executor import Executor, limits_from
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine
from server.hiring.judge import Judge
from server.settings import Settings


def judge_on(engine: Engine, catalogue: LanguageCatalogue, settings: Settings, jobs: int) -> Judge:
    """A judge running at most ``jobs`` runs at once on ``engine``."""
    runner = LocalRunner(engine, slots=jobs)
    return Judge(Executor(catalogue, runner, maxima=limits_from(settings)), anyio.CapacityLimiter(jobs))


@asynccontextmanager
async def local_judge(settings: Settings, catalogue: LanguageCatalogue, jobs: int) -> AsyncIterator[Judge]:
    async with open_engine(settings) as choice:
        if choice.engine is None:
            raise Unavailable(f"code cannot run on this host: {choice.reason}")
        yield judge_on(choice.engine, catalogue, settings, jobs)
