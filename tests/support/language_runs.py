"""A language's steps run through a real engine (bubblewrap or Docker over the real runtime rootfs)."""

from __future__ import annotations

from collections.abc import Mapping

from server.exec.runtime.languages import Language
from server.exec.sandbox import Engine, Limits, Mode, RunResult, RunSpec


async def run_language(
    engine: Engine,
    language: Language,
    files: Mapping[str, str],
    *,
    mode: Mode = "run",
    stdin: str = "",
    limits: Limits | None = None,
) -> RunResult:
    """Run a language's steps on ``files`` (collecting /results in test mode)."""
    spec = RunSpec(
        files={name: content.encode() for name, content in files.items()},
        steps=language.steps(mode),
        env=language.environment(),
        limits=limits or Limits(wall_seconds=60, cpu_seconds=60),
        stdin=stdin.encode(),
        collect=mode == "test",
    )
    return await engine.run(spec)
