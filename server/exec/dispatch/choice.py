"""Which Runner a server process uses, from Settings.

Without ``DUET_REDIS_URL``: this process's engine with an in-process fair queue. With it: the
Redis job queue, served by ``duet worker`` processes (and by this process too when
``DUET_EXEC_IN_PROCESS_WORKER`` is on). A web node that only submits never opens an engine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import redis.asyncio as aioredis

from server.exec.dispatch.local_runner import LocalRunner
from server.exec.dispatch.redis_queue import RunQueue
from server.exec.dispatch.redis_runner import RedisRunner
from server.exec.dispatch.runner import Runner
from server.exec.dispatch.worker import Worker
from server.exec.engines.auto import open_engine
from server.settings import Settings

logger = logging.getLogger(__name__)


@asynccontextmanager
async def open_runner(settings: Settings) -> AsyncIterator[Runner]:
    if not settings.redis_url:
        async with open_engine(settings) as choice:
            yield LocalRunner(
                choice.engine,
                slots=settings.effective_exec_slots,
                unavailable_reason=choice.reason,
                versions=choice.versions,
            )
        return
    async with open_run_queue(settings) as queue:
        runner = RedisRunner(queue, queue_timeout=settings.exec_queue_timeout_seconds)
        if not settings.exec_in_process_worker:
            yield runner
            return
        async with serving_worker(settings, queue):
            yield runner


@asynccontextmanager
async def open_run_queue(settings: Settings) -> AsyncIterator[RunQueue]:
    client = aioredis.Redis.from_url(settings.redis_url)
    try:
        yield RunQueue(client, prefix=settings.redis_prefix)
    finally:
        with anyio.CancelScope(shield=True):
            await client.aclose()


@asynccontextmanager
async def serving_worker(settings: Settings, queue: RunQueue) -> AsyncIterator[Worker | None]:
    """A worker on this host's engine serving ``queue``; None (logged) when no engine works here."""
    async with open_engine(settings) as choice:
        if choice.engine is None:
            logger.error("this process cannot serve the run queue: %s", choice.reason)
            yield None
            return
        worker = Worker(queue, choice.engine, slots=settings.effective_exec_slots, versions=choice.versions)
        async with worker.running():
            logger.info(
                "worker %s serving the run queue with %s, %d slots",
                worker.info.worker_id,
                worker.info.engine,
                worker.info.slots,
            )
            yield worker
