"""Choosing the isolation engine: ``DUET_SANDBOX=auto|docker|bwrap``.

``auto`` takes Docker when an engine answers, else bubblewrap. When neither can run, or the
sandboxes' dedicated uid or gid is in use on this host (``server.exec.runtime.host_ids``), the server
still starts and every run answers 503 with the reason. Code never runs unsandboxed, nor under
an id a host user shares.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio

from server.exec.engines.bwrap import engine as bwrap_engine
from server.exec.runtime import host_ids
from server.exec.runtime.rootfs import find_rootfs
from server.exec.sandbox import Engine
from server.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineChoice:
    """The engine this process runs code with, or None and why not."""

    engine: Engine | None
    reason: str = ""  # why code cannot run, when engine is None
    versions: Mapping[str, str] = field(default_factory=dict)


@asynccontextmanager
async def open_engine(settings: Settings) -> AsyncIterator[EngineChoice]:
    """The configured engine, running; or no engine and the reason."""
    rootfs = find_rootfs(settings.effective_runtime_cache)
    if rootfs is None:
        reason = "the language runtimes are not built: run `duet runtime build` (or `make run`)"
        logger.warning("code execution is off: %s", reason)
        yield EngineChoice(None, reason)
        return
    # both engines run code as the same dedicated uid: neither starts where it is someone's
    # (in a thread: NSS may ask a directory server)
    shared = await anyio.to_thread.run_sync(host_ids.host_conflict)
    if shared is not None:
        logger.warning("code execution is off: %s", shared)
        yield EngineChoice(None, shared)
        return
    reasons: list[str] = []
    # both engines' workspaces (host tmpfs mounts); a crashed server's are swept at start
    work_base = settings.var_dir.resolve() / "sandbox"
    if settings.sandbox in {"auto", "docker"}:
        from server.exec.engines.docker import engine as docker_engine

        why_not = await docker_engine.probe()
        if why_not is None:
            docker = docker_engine.DockerEngine(
                rootfs, work_base, pool_size=settings.docker_pool_size, oci_runtime=settings.docker_runtime
            )
            async with docker.running():
                logger.info(
                    "code runs in Docker (image %s, OCI runtime %s)", docker.image, docker.oci_runtime_name
                )
                yield EngineChoice(docker, versions=rootfs.versions)
            return
        reasons.append(f"docker: {why_not}")
    if settings.sandbox in {"auto", "bwrap"}:
        why_not = bwrap_engine.probe()
        if why_not is None:
            bwrap_engine.sweep_orphans(work_base)
            async with bwrap_engine.BwrapEngine(
                rootfs.path, work_base, pool_size=settings.bwrap_pool_size
            ).running() as bwrap:
                logger.info("code runs in bubblewrap over %s", rootfs.path)
                yield EngineChoice(bwrap, versions=rootfs.versions)
            return
        reasons.append(f"bwrap: {why_not}")
    reason = "; ".join(reasons)
    logger.warning("code execution is off: %s", reason)
    yield EngineChoice(None, reason)
